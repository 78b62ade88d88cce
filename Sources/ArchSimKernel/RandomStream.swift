// SPDX-License-Identifier: GPL-3.0-or-later
import CGSL

/// One independent stream of random numbers for one component and purpose (GSL's MT19937).
///
/// A plain value holding a pointer: copying it does not copy the generator's state, and using
/// it costs no reference counting. The ``RandomStreams`` that made it owns and frees it.
public struct RandomStream: @unchecked Sendable {
    public let rng: UnsafeMutablePointer<gsl_rng>

    @inlinable init(rng: UnsafeMutablePointer<gsl_rng>) { self.rng = rng }

    /// Uniform on [0, 1). O(1).
    @inlinable public func uniform() -> Double { gsl_rng_uniform(rng) }
    /// Uniform on (0, 1). O(1).
    @inlinable public func uniformPositive() -> Double { gsl_rng_uniform_pos(rng) }
    /// Uniform integer in 0..<n (n ≤ 2³²). O(1).
    @inlinable public func index(below n: Int) -> Int {
        precondition(n > 0 && n <= 0xFFFF_FFFF, "index(below:) needs 0 < n ≤ 2^32")
        return Int(gsl_rng_uniform_int(rng, UInt(n)))
    }
}

/// Makes and owns the streams of one replication.
///
/// A stream is seeded from (replication seed, stable name), so adding a component never shifts
/// another component's numbers, and two architectures under one workload draw identical
/// arrivals (common random numbers). Never seeded from Swift's `Hasher`.
public final class RandomStreams {
    /// The replication's seed (see ``StableHash/replicationSeed(scenarioSeed:replication:)``).
    public let seed: UInt64
    private var owned: [UnsafeMutablePointer<gsl_rng>] = []

    public init(seed: UInt64) {
        archsim_gsl_quiet()
        self.seed = seed
    }

    deinit { for rng in owned { gsl_rng_free(rng) } }

    /// A new stream for `name` (e.g. `"arrivals"`, `"service.app.op.cpu"`). Names should be unique
    /// within a replication; the same name gives the same sequence.
    public func stream(_ name: String) -> RandomStream {
        guard let rng = gsl_rng_alloc(archsim_rng_mt19937()) else { fatalError("gsl_rng_alloc failed") }
        // MT19937 takes a 32-bit seed; fold the 64-bit derived seed. 0 would select GSL's default.
        let derived = StableHash.combine(seed, StableHash.fnv1a64(name))
        var seed32 = UInt((derived ^ (derived >> 32)) & 0xFFFF_FFFF)
        if seed32 == 0 { seed32 = 0x9E37_79B9 }
        gsl_rng_set(rng, seed32)
        owned.append(rng)
        return RandomStream(rng: rng)
    }
}

/// Hashes that are the same in every process and on every machine (unlike Swift's `Hasher`).
public enum StableHash {
    /// FNV-1a, 64 bit, over the UTF-8 bytes of `text`.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// SplitMix64's finaliser: a well-mixed 64-bit value from a 64-bit value.
    @inlinable public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Mixes two values into one, order-sensitively.
    @inlinable public static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 { mix(mix(a) ^ b) }

    /// The seed of replication `replication` (0-based) of a scenario seeded `scenarioSeed`.
    public static func replicationSeed(scenarioSeed: UInt64, replication: Int) -> UInt64 {
        combine(scenarioSeed, UInt64(replication) &+ 0x5851_F42D_4C95_7F2D)
    }
}
