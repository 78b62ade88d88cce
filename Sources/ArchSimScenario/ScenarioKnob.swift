// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// A value varied between two ends, `--vary key.path=LOW..HIGH`, for `sensitivity` (and any
/// search over a scenario's numbers): `architecture.services.app.workers=2..16`,
/// `workload.keys.products.popularity=zipf(s=0.6)..zipf(s=1.2)`,
/// `architecture.databases.main.primary.write=lognormal(median=2ms, p99=10ms)..lognormal(median=8ms, p99=40ms)`.
///
/// LOW and HIGH are written as in a scenario and differ only in their numbers; a point between
/// them, at position `t` (0 = LOW, 1 = HIGH), interpolates every number linearly. A number
/// written without a decimal point, exponent or unit at both ends (`workers: 2..16`) is a count
/// and stays an integer (rounded); `2ms..4ms` gives 2.5ms at t = 0.25. Write a fraction with its
/// decimal point (`0.0..1.0`), or it is a count that can only be 0 or 1. Digits that continue a
/// name (`p99`) are not numbers. The value at a position is applied as a ``ScenarioOverride``, so
/// it goes through the same checks as if written in the file.
public struct ScenarioKnob: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var low: String
    public var high: String
    /// The text around the numbers (one more than the numbers), shared by both ends.
    var skeleton: [String]
    var lowNumbers: [Double]
    var highNumbers: [Double]
    var integer: [Bool]

    public var description: String { "\(path)=\(low)..\(high)" }

    /// Parses `key.path=LOW..HIGH`; `option` names the option in messages.
    public init(parsing text: String, option: String = "--vary") throws(ScenarioValues.Problem) {
        func problem(_ message: String) -> ScenarioValues.Problem {
            ScenarioValues.Problem(description: "\(option) \(text): \(message)")
        }
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw problem("expected KEY.PATH=LOW..HIGH, e.g. architecture.services.app.workers=2..16")
        }
        path = String(text[..<eq]).trimmingWhitespace()
        let range = String(text[text.index(after: eq)...])
        guard let dots = range.range(of: "..") else {
            throw problem("expected LOW..HIGH after '=', e.g. 2..16 or 5ms..20ms")
        }
        low = String(range[..<dots.lowerBound]).trimmingWhitespace()
        high = String(range[dots.upperBound...]).trimmingWhitespace()
        if path.isEmpty || path.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw problem("expected a key path like architecture.services.app.workers before '='")
        }
        if low.isEmpty || high.isEmpty { throw problem("expected LOW..HIGH with both ends, e.g. 2..16") }
        let a = Self.split(low), b = Self.split(high)
        guard a.skeleton == b.skeleton else {
            throw problem("LOW and HIGH must be written alike and differ only in their numbers "
                          + "(e.g. exponential(mean=2ms)..exponential(mean=8ms))")
        }
        guard zip(a.numbers, b.numbers).contains(where: { $0.value != $1.value }) else {
            throw problem("LOW and HIGH are the same value: nothing to vary")
        }
        skeleton = a.skeleton
        lowNumbers = a.numbers.map(\.value)
        highNumbers = b.numbers.map(\.value)
        integer = zip(a.numbers, b.numbers).map { $0.integer && $1.integer }
    }

    /// The numbers of the knob's value at `t`.
    public func numbers(at t: Double) -> [Double] {
        (0..<lowNumbers.count).map { i in
            let v = lowNumbers[i] + t * (highNumbers[i] - lowNumbers[i])
            return integer[i] ? v.rounded() : v
        }
    }

    /// The first number that differs between LOW and HIGH, at `t`: the knob's value on a plot's axis.
    public func value(at t: Double) -> Double {
        let i = (0..<lowNumbers.count).first { lowNumbers[$0] != highNumbers[$0] }!
        return numbers(at: t)[i]
    }

    /// The value at `t`, as written in a scenario.
    public func text(at t: Double) -> String {
        if t == 0 { return low }
        if t == 1 { return high }
        var out = skeleton[0]
        for (i, v) in numbers(at: t).enumerated() {
            out += Self.format(v, integer: integer[i]) + skeleton[i + 1]
        }
        return out
    }

    /// Positions for a search over the knob's range: every integer of a count that spans at most
    /// `integers` values (a cheapest configuration must not fall between two grid points);
    /// otherwise `points` evenly spaced, both ends included. Positions with the same text are
    /// kept once.
    public func grid(points: Int, integers: Int = 64) -> [Double] {
        let varying = (0..<lowNumbers.count).filter { lowNumbers[$0] != highNumbers[$0] }
        let span = varying.map { abs(highNumbers[$0] - lowNumbers[$0]) }.max() ?? 0
        let count = varying.allSatisfy({ integer[$0] }) && span + 1 <= Double(integers) ? Int(span) + 1 : points
        var seen: Set<String> = [], positions: [Double] = []
        for i in 0..<count {
            let t = count == 1 ? 0 : Double(i) / Double(count - 1)
            if seen.insert(text(at: t)).inserted { positions.append(t) }
        }
        return positions
    }

    /// The override that sets the knob to its value at `t`.
    public func override(at t: Double) -> ScenarioOverride {
        ScenarioOverride(path: path, value: text(at: t))
    }

    /// Whether two positions are as close as the search needs: the same value, or every number
    /// within `tolerance` (relative) of the other — integers within that or one apart.
    public func resolved(_ a: Double, _ b: Double, tolerance: Double) -> Bool {
        if text(at: a) == text(at: b) { return true }
        let x = numbers(at: a), y = numbers(at: b)
        for i in x.indices where x[i] != y[i] {
            // Relative to the values, but never finer than 1% of the range times the tolerance
            // (a break-even next to 0 would otherwise never resolve).
            let range = abs(highNumbers[i] - lowNumbers[i])
            let close = tolerance * max(abs(x[i]), abs(y[i]), 0.01 * range)
            if abs(x[i] - y[i]) > (integer[i] ? max(1, close) : close) { return false }
        }
        return true
    }

    /// A number as a scenario writes it: an integer, or up to 6 significant digits, no exponent.
    static func format(_ v: Double, integer: Bool) -> String {
        if integer || (v == v.rounded() && abs(v) < 1e15) { return String(Int64(v.rounded())) }
        let magnitude = v == 0 ? 0 : Int(floor(log10(abs(v))))
        let decimals = max(0, 5 - magnitude)
        var s = String(format: "%.\(decimals)f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// Splits a value into the text around its numbers and the numbers. A number starts with a
    /// digit (or a point before a digit) that does not continue a name (`p99`, `x2`).
    static func split(_ text: String) -> (skeleton: [String], numbers: [(value: Double, integer: Bool)]) {
        let chars = Array(text)
        var skeleton: [String] = [], numbers: [(Double, Bool)] = []
        var current = "", i = 0
        func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
        while i < chars.count {
            let c = chars[i]
            let prev: Character? = i > 0 ? chars[i - 1] : nil
            let continuesName = prev.map { $0.isLetter || isDigit($0) || $0 == "_" } ?? false
            let startsNumber = !continuesName && (isDigit(c) || (c == "." && i + 1 < chars.count && isDigit(chars[i + 1])))
            guard startsNumber else { current.append(c); i += 1; continue }
            var j = i, integer = true
            while j < chars.count, isDigit(chars[j]) { j += 1 }
            if j < chars.count, chars[j] == ".", j + 1 < chars.count, isDigit(chars[j + 1]) {
                integer = false; j += 1
                while j < chars.count, isDigit(chars[j]) { j += 1 }
            }
            if j < chars.count, chars[j] == "e" || chars[j] == "E" {
                var k = j + 1
                if k < chars.count, chars[k] == "+" || chars[k] == "-" { k += 1 }
                if k < chars.count, isDigit(chars[k]) {
                    integer = false; j = k
                    while j < chars.count, isDigit(chars[j]) { j += 1 }
                }
            }
            // A unit after the number (2ms, 800/s) makes it a measure, not a count.
            if j < chars.count, chars[j].isLetter || chars[j] == "/" || chars[j] == "%" { integer = false }
            skeleton.append(current); current = ""
            numbers.append((Double(String(chars[i..<j]))!, integer))
            i = j
        }
        skeleton.append(current)
        return (skeleton, numbers)
    }
}
