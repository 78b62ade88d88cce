// SPDX-License-Identifier: GPL-3.0-or-later

/// Why a value's text does not read; the message completes `<key path>: `.
struct SyntaxError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// The value syntax of scenario format v1: numbers, durations with units, rates with units,
/// fractions as percentages.
/// Pure functions of text; the readers add positions.
enum ValueSyntax {
    static let durationUnits: [(name: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]
    static let rateUnits: [(name: String, seconds: Double)] = [("s", 1), ("m", 60), ("h", 3600)]

    /// A finite number: `12`, `-3`, `0.99`, `1e6`, `1_000_000`.
    static func number(_ text: String) -> Double? {
        let trimmed = text.trimmingWhitespace()
        guard let (value, rest) = leadingNumber(trimmed[...]), rest.isEmpty else { return nil }
        return value
    }

    /// A whole number (`3`, `1e6`), nil for anything else.
    static func integer(_ text: String) -> Int? {
        guard let value = number(text), value == value.rounded(), abs(value) < 9.0e18 else { return nil }
        return Int(value)
    }

    /// A duration in nanoseconds: `250us`, `1.5ms`, `10m`, `-1ms` (the sign is read so the
    /// caller can say what is wrong with it).
    static func duration(_ text: String) throws(SyntaxError) -> Double {
        let trimmed = text.trimmingWhitespace()
        guard let (value, rest) = leadingNumber(trimmed[...]) else {
            throw SyntaxError("expected a duration like 250us, 1.5ms or 10m, got \(quoted(trimmed))")
        }
        let unit = rest.trimmingWhitespace()
        if unit.isEmpty {
            throw SyntaxError("missing unit in \(quoted(trimmed)): write e.g. \(excerpt(trimmed))ms (units: ns, us, ms, s, m, h)")
        }
        guard let scale = durationUnits.first(where: { $0.name == unit })?.nanoseconds else {
            throw SyntaxError("unknown duration unit \(quoted(unit)) in \(quoted(trimmed)) (units: ns, us, ms, s, m, h)")
        }
        let ns = value * scale
        guard ns.isFinite, abs(ns) <= Limits.duration else {
            throw SyntaxError("duration \(quoted(trimmed)) is too long (at most \(Limits.durationText))")
        }
        return ns
    }

    /// A rate in events per second: `8000/s`, `30/m`, `100/h`.
    static func rate(_ text: String) throws(SyntaxError) -> Double {
        let trimmed = text.trimmingWhitespace()
        guard let (value, rest) = leadingNumber(trimmed[...]) else {
            throw SyntaxError("expected a rate like 8000/s, got \(quoted(trimmed))")
        }
        let unit = rest.trimmingWhitespace()
        if unit.isEmpty {
            throw SyntaxError("missing unit in \(quoted(trimmed)): write e.g. \(excerpt(trimmed))/s (units: /s, /m, /h)")
        }
        guard unit.hasPrefix("/"),
              let seconds = rateUnits.first(where: { $0.name == unit.dropFirst().trimmingWhitespace() })?.seconds else {
            throw SyntaxError("unknown rate unit \(quoted(unit)) in \(quoted(trimmed)) (units: /s, /m, /h)")
        }
        return value / seconds
    }

    /// Why a positive rate (per second) is out of range, or nil when it is in
    /// [``Limits/minimumRate``, ``Limits/maximumRate``].
    static func rateProblem(_ perSecond: Double) -> String? {
        if perSecond > Limits.maximumRate { return "a rate may be at most \(format(Limits.maximumRate))/s" }
        if perSecond > 0 && perSecond < Limits.minimumRate {
            return "a positive rate must be at least one per \(Limits.durationText) (the time between arrivals must fit the clock)"
        }
        return nil
    }

    /// A fraction written as a percentage (`50%`, `12.5 %`) or as a plain number (`0.5`). The
    /// range is the caller's to check; a plain number above 1 is read as it is (so `50` is 50,
    /// which a caller wanting 0–1 rejects, hinting at `50%`).
    static func fraction(_ text: String) throws(SyntaxError) -> Double {
        let trimmed = text.trimmingWhitespace()
        guard let (value, rest) = leadingNumber(trimmed[...]) else {
            throw SyntaxError("expected a fraction like 50% or 0.5, got \(quoted(trimmed))")
        }
        switch rest.trimmingWhitespace() {
        case "": return value
        case "%": return value / 100
        default: throw SyntaxError("expected a fraction like 50% or 0.5, got \(quoted(trimmed))")
        }
    }

    /// Reads `[+-]digits[.digits][e[+-]digits]` (underscores allowed between digits) from the
    /// front of `text`; returns the value and what follows.
    static func leadingNumber(_ text: Substring) -> (Double, Substring)? {
        var index = text.startIndex
        var literal = ""
        func take(_ predicate: (Character) -> Bool) -> Int {
            var count = 0
            while index < text.endIndex, predicate(text[index]) {
                if text[index] != "_" { literal.append(text[index]) }
                index = text.index(after: index); count += 1
            }
            return count
        }
        if index < text.endIndex, text[index] == "+" || text[index] == "-" {
            literal.append(text[index]); index = text.index(after: index)
        }
        var digits = take { $0.isASCII && ($0.isNumber || $0 == "_") }
        if index < text.endIndex, text[index] == "." {
            literal.append("."); index = text.index(after: index)
            digits += take { $0.isASCII && ($0.isNumber || $0 == "_") }
        }
        guard digits > 0 else { return nil }
        if index < text.endIndex, text[index] == "e" || text[index] == "E" {
            let save = index, saveLiteral = literal
            literal.append("e"); index = text.index(after: index)
            if index < text.endIndex, text[index] == "+" || text[index] == "-" {
                literal.append(text[index]); index = text.index(after: index)
            }
            if take({ $0.isASCII && $0.isNumber }) == 0 { index = save; literal = saveLiteral }
        }
        guard let value = Double(literal), value.isFinite else { return nil }
        return (value, text[index...])
    }

    /// `12.5`, `3`: a number the way a person writes it.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
