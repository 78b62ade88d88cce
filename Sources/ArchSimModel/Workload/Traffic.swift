// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import Foundation

/// Client traffic: when requests arrive, which type each is, and which key it carries.
///
/// Every draw comes from the workload's own streams (`workload.arrivals`, `workload.mix`,
/// `workload.keys.NAME`, `workload.think`), taken in arrival order, so two architectures run
/// under one workload and seed see identical arrivals, types and keys (common random numbers).
struct Traffic {
    enum Source { case open, closed }
    let source: Source
    let process: ArrivalProcess
    let rate: ArrivalRate
    /// Highest rate of the profile (per ns), the thinning envelope.
    let peakPerNs: Double
    let users: Int
    let think: Distribution

    let arrivalStream: RandomStream
    let thinStream: RandomStream
    let mixStream: RandomStream
    let thinkStream: RandomStream
    let mix: WeightedChoice
    let keyOf: [Int32]              // request type -> key space or -1
    let keySamplers: [KeySampler]

    init(workload: Workload, streams: RandomStreams) {
        switch workload.arrivals {
        case .open(let p, let r):
            source = .open; process = p; rate = r; users = 0; think = .constant(0)
            switch r {
            case .constant(let perSecond): peakPerNs = perSecond / 1e9
            case .profile(let points): peakPerNs = (points.map(\.perSecond).max() ?? 0) / 1e9
            }
        case .closed(let u, let t):
            source = .closed; process = .poisson; rate = .constant(0); peakPerNs = 0; users = u; think = t
        }
        arrivalStream = streams.stream("workload.arrivals")
        thinStream = streams.stream("workload.arrivals.thinning")
        mixStream = streams.stream("workload.mix")
        thinkStream = streams.stream("workload.think")
        mix = WeightedChoice(weights: workload.requestTypes.map(\.weight))
        keyOf = workload.requestTypes.map { Int32($0.keySpace ?? -1) }
        keySamplers = workload.keySpaces.map { KeySampler($0, streams.stream("workload.keys.\($0.name)")) }
    }

    /// Rate (per ns) at simulated time t: the profile interpolated linearly, flat outside it.
    func rate(at t: Int64) -> Double {
        switch rate {
        case .constant(let perSecond): return perSecond / 1e9
        case .profile(let points):
            guard let first = points.first, let last = points.last else { return 0 }
            if t <= first.at { return first.perSecond / 1e9 }
            if t >= last.at { return last.perSecond / 1e9 }
            var lo = 0, hi = points.count - 1          // points[lo].at <= t < points[hi].at
            while hi - lo > 1 { let mid = (lo + hi) / 2; if points[mid].at <= t { lo = mid } else { hi = mid } }
            let a = points[lo], b = points[hi]
            let f = Double(t - a.at) / Double(b.at - a.at)
            return (a.perSecond + f * (b.perSecond - a.perSecond)) / 1e9
        }
    }

    /// The next open arrival strictly after `now`, or nil if the rate stays zero to the end.
    /// Poisson along a profile is exact by thinning (Lewis–Shedler) under the peak rate.
    func nextArrival(after now: Int64, end: Int64) -> Int64? {
        switch process {
        case .poisson:
            guard peakPerNs > 0 else { return nil }
            var t = Double(now)
            while true {
                t += gslExponential(arrivalStream, mean: 1 / peakPerNs)
                if t >= Double(end) { return nil }
                if case .constant = rate { return max(now + 1, Int64(t.rounded())) }
                let ti = Int64(t.rounded())
                if thinStream.uniform() * peakPerNs < self.rate(at: ti) { return max(now + 1, ti) }
            }
        case .constant:
            var t = now
            while t < end {
                let r = self.rate(at: t)
                if r > 0 { return t + max(1, Distribution.saturatingNanoseconds(1 / r)) }
                // Zero rate here: jump to the next profile point.
                guard case .profile(let points) = rate, let nextPoint = points.first(where: { $0.at > t }) else { return nil }
                t = nextPoint.at
            }
            return nil
        }
    }

    /// The type of the next request (index into the mix).
    /// A one-type mix draws nothing (the same for every architecture, so common random numbers hold).
    func nextType() -> Int { mix.count == 1 ? 0 : mix.sample(mixStream) }

    /// The key of a request of type `type`, or nil when it carries none: the key space's index
    /// in the top 24 bits and the key id below (see ``KeyId``), so keys of two spaces never
    /// collide in a shared cache or database.
    func key(for type: Int) -> UInt64? {
        let space = keyOf[type]
        return space < 0 ? nil : KeyId.make(space: Int(space), id: keySamplers[Int(space)].sample())
    }

    /// A closed user's think time (ns).
    func thinkTime() -> Int64 { think.sample(thinkStream) }
}

/// Draws key ids from a key space's popularity.
struct KeySampler {
    let count: Int
    let zipf: ZipfSampler?
    let stream: RandomStream
    init(_ space: KeySpace, _ stream: RandomStream) {
        count = space.count
        self.stream = stream
        if case .zipf(let s) = space.popularity { zipf = ZipfSampler(count: space.count, s: s) } else { zipf = nil }
    }
    func sample() -> Int { zipf?.sample(stream) ?? stream.index(below: count) }
}

/// An exponential draw (ns, not rounded): inter-arrival times stay exact in Double.
@inline(__always) func gslExponential(_ s: RandomStream, mean: Double) -> Double {
    -log(s.uniformPositive()) * mean
}

/// A request key: key space in the top 24 bits, key id (0 ..< count, up to 2⁴⁰) below.
package enum KeyId {
    package static let idBits: UInt64 = 40
    @inline(__always) package static func make(space: Int, id: Int) -> UInt64 { UInt64(space) << idBits | UInt64(id) }
    @inline(__always) package static func space(_ key: UInt64) -> Int { Int(key >> idBits) }
    @inline(__always) package static func id(_ key: UInt64) -> Int { Int(key & ((1 << idBits) - 1)) }
    /// The space of fresh keys (`key: new`): ids counted up, each used once.
    package static let freshSpace = (1 << 24) - 1
    @inline(__always) package static func isFresh(_ key: UInt64) -> Bool { space(key) == freshSpace }
}
