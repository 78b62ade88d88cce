// SPDX-License-Identifier: GPL-3.0-or-later

/// The value syntax of scenario format v1 for callers outside scenario files (command-line
/// options such as `--duration 10m`).
public enum ScenarioValues {
    /// A value that does not read; `description` says what was expected.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// A duration with a unit (`250us`, `1.5ms`, `10m`) in whole nanoseconds, ≥ 0.
    public static func duration(_ text: String) throws(Problem) -> Int64 {
        let ns: Double
        do { ns = try ValueSyntax.duration(text) } catch { throw Problem(description: error.message) }
        guard ns >= 0 else { throw Problem(description: "expected a duration ≥ 0, got \(text)") }
        return Int64(ns.rounded())
    }

    /// A rate with a unit (`8000/s`, `30/m`) in events per second.
    public static func rate(_ text: String) throws(Problem) -> Double {
        do { return try ValueSyntax.rate(text) } catch { throw Problem(description: error.message) }
    }
}
