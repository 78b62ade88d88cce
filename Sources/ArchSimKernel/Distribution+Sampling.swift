// SPDX-License-Identifier: GPL-3.0-or-later
import CGSL

extension Distribution {
    /// Draws one value in whole nanoseconds (≥ 0). O(1) (O(log n) for an empirical histogram).
    @inlinable public func sample(_ stream: RandomStream) -> Int64 {
        let x: Double
        switch self {
        case .constant(let v): x = v
        case .exponential(let mean): x = gsl_ran_exponential(stream.rng, mean)
        default: fatalError("TODO: sampling of \(self)")
        }
        return x <= 0 ? 0 : Int64(x.rounded())
    }
}
