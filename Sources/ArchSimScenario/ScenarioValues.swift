// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// The value syntax of scenario format v1 for callers outside scenario files (command-line
/// options such as `--duration 10m`).
public enum ScenarioValues {
    /// A value that does not read; `description` says what was expected.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The timeseries window when a scenario gives none: 1 s.
    public static let defaultWindow: Int64 = 1_000_000_000

    /// A duration with a unit (`250us`, `1.5ms`, `10m`) in whole nanoseconds, ≥ 0 and at most
    /// ``Limits/duration``.
    public static func duration(_ text: String) throws(Problem) -> Int64 {
        let ns: Double
        do { ns = try ValueSyntax.duration(text) } catch { throw Problem(description: error.message) }
        guard ns >= 0 else { throw Problem(description: "expected a duration ≥ 0, got \(excerpt(text))") }
        return Int64(ns.rounded())
    }

    /// A rate with a unit (`8000/s`, `30/m`) in events per second, ≥ 0 and within the bounds of
    /// a scenario's rates.
    public static func rate(_ text: String) throws(Problem) -> Double {
        let perSecond: Double
        do { perSecond = try ValueSyntax.rate(text) } catch { throw Problem(description: error.message) }
        guard perSecond >= 0 else { throw Problem(description: "expected a rate ≥ 0, got \(excerpt(text))") }
        if let problem = ValueSyntax.rateProblem(perSecond) { throw Problem(description: "\(problem), got \(excerpt(text))") }
        return perSecond
    }

    /// Why a run of `warmup` + `duration` (ns) cut into windows of `window` ns cannot run, or
    /// nil: together they must not pass ``Limits/duration`` (the clock, with room for one more
    /// sample), and they must make at most ``Limits/windows`` windows (each is a row kept in
    /// memory). `onWindow` says whether the window is the value to change.
    public static func runLengthProblem(duration: Int64, warmup: Int64, window: Int64)
        -> (message: String, onWindow: Bool)? {
        let total = Double(duration) + Double(warmup)
        if total > Limits.duration {
            return ("duration and warm-up together may be at most \(Limits.durationText), got \(format(total))", false)
        }
        let windows = (total / Double(max(window, 1))).rounded(.up)
        if windows > Double(Limits.windows) {
            let smallest = (total / Double(Limits.windows) / 1e9).rounded(.up)
            return ("warm-up + duration (\(format(total))) make \(Int(windows)) timeseries windows of "
                    + "\(format(Double(window))); at most \(Limits.format(Limits.windows)) are kept: "
                    + "set window to at least \(ValueSyntax.format(smallest))s", true)
        }
        return nil
    }

    /// A duration in ns as written in a scenario, in the largest unit that holds it whole
    /// (`2h`, `90s`, `1500us`), else in seconds (`0.0000015s`).
    static func format(_ ns: Double) -> String {
        for (unit, scale) in ValueSyntax.durationUnits.reversed() where unit != "µs" {
            let value = ns / scale
            if value >= 1, value == value.rounded() { return ValueSyntax.format(value) + unit }
        }
        return String(format: "%.9fs", ns / 1e9)
    }
}
