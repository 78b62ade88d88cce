// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import XCTest

/// Sample mean, (population) variance and fourth central moment.
struct SampleMoments {
    var n: Int
    var mean: Double
    var variance: Double
    var m4: Double

    init(_ xs: [Double]) {
        n = xs.count
        let count = Double(xs.count)
        mean = xs.reduce(0, +) / count
        var s2 = 0.0, s4 = 0.0
        for x in xs {
            let d = x - mean, d2 = d * d
            s2 += d2; s4 += d2 * d2
        }
        variance = s2 / count
        m4 = s4 / count
    }

    /// Standard error of the sample variance: √((μ₄ − σ⁴)/n), with μ₄ estimated from the sample.
    var varianceStandardError: Double { ((m4 - variance * variance) / Double(n)).squareRoot() }
}

/// Runs `body` with a fresh stream seeded by (`seed`, `name`). A `RandomStream` does not keep
/// its `RandomStreams` (the owner of the generator) alive, so the owner is kept alive here.
func withStream<T>(seed: UInt64, _ name: String, _ body: (RandomStream) throws -> T) rethrows -> T {
    let streams = RandomStreams(seed: seed)
    return try withExtendedLifetime(streams) { try body(streams.stream(name)) }
}

/// `n` draws of `d` from a fresh stream seeded by (`seed`, `name`), as Doubles.
func draws(_ d: Distribution, n: Int, name: String, seed: UInt64 = 20_240_601) -> [Double] {
    withStream(seed: seed, name) { stream in
        var xs = [Double]()
        xs.reserveCapacity(n)
        for _ in 0..<n { xs.append(Double(d.sample(stream))) }
        return xs
    }
}

/// Times `body` and returns nanoseconds per iteration.
func nanosecondsPerCall(_ iterations: Int, _ body: () -> Int64) -> (ns: Double, sink: Int64) {
    let clock = ContinuousClock()
    var sink: Int64 = 0
    let t = clock.measure {
        for _ in 0..<iterations { sink &+= body() }
    }
    let ns = Double(t.components.seconds) * 1e9 + Double(t.components.attoseconds) / 1e9
    return (ns / Double(iterations), sink)
}
