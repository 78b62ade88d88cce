// SPDX-License-Identifier: GPL-3.0-or-later

/// The time-weighted mean of a quantity that changes in steps (busy workers, queue length).
///
/// `set(_:at:)` is O(1). Times are ns of simulated time.
public struct TimeWeighted: Sendable {
    /// The current value.
    public var value: Double = 0
    @usableFromInline var area: Double = 0
    @usableFromInline var since: Int64 = 0
    @usableFromInline var last: Int64 = 0

    public init(at time: Int64 = 0) { since = time; last = time }

    /// The value changes to `newValue` at `time` (≥ the previous change).
    @inlinable public mutating func set(_ newValue: Double, at time: Int64) {
        area += value * Double(time - last)
        last = time
        value = newValue
    }

    /// Adds `delta` to the value at `time`.
    @inlinable public mutating func add(_ delta: Double, at time: Int64) { set(value + delta, at: time) }

    /// Starts measuring afresh at `time` (end of warm-up), keeping the current value.
    public mutating func restart(at time: Int64) { area = 0; since = time; last = time }

    /// ∫ value dt (value × ns) over [start of measurement, time].
    public func integral(until time: Int64) -> Double { area + value * Double(time - last) }

    /// Mean over [start of measurement, time].
    public func mean(until time: Int64) -> Double {
        let span = Double(time - since)
        guard span > 0 else { return value }
        return (area + value * Double(time - last)) / span
    }
}
