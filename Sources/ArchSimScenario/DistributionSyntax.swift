// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// `name(k=v, k=v)`: the call syntax of distributions and popularities.
struct CallSyntax {
    struct Argument {
        /// nil for a positional argument.
        var name: String?
        var value: String
        /// Written in quotes (a path, say).
        var quoted: Bool
    }
    var name: String
    var arguments: [Argument]
    /// Written with parentheses (`uniform()` vs `uniform`).
    var hasParentheses: Bool

    /// Parses `text`; a bare identifier is a call without parentheses.
    static func parse(_ text: String) throws(SyntaxError) -> CallSyntax {
        let scalars = Array(text.trimmingWhitespace().unicodeScalars)
        var i = 0
        func isIdentifier(_ c: Unicode.Scalar, first: Bool) -> Bool {
            c == "_" || (c.isASCII && (c.properties.isAlphabetic || (!first && c.properties.numericType != nil)))
        }
        func skipSpaces() { while i < scalars.count, scalars[i].properties.isWhitespace { i += 1 } }
        var name = ""
        while i < scalars.count, isIdentifier(scalars[i], first: name.isEmpty) { name.unicodeScalars.append(scalars[i]); i += 1 }
        let whole = String(String.UnicodeScalarView(scalars))
        guard !name.isEmpty else { throw SyntaxError("expected a call like exponential(mean=2ms), got '\(excerpt(whole))'") }
        skipSpaces()
        if i == scalars.count { return CallSyntax(name: name, arguments: [], hasParentheses: false) }
        guard scalars[i] == "(" else { throw SyntaxError("expected '(' after \(quoted(name)) in '\(excerpt(whole))'") }
        i += 1
        var arguments: [Argument] = []
        skipSpaces()
        if i < scalars.count, scalars[i] == ")" {
            i += 1
        } else {
            while true {
                skipSpaces()
                var raw = "", quoted = false
                if i < scalars.count, scalars[i] == "\"" || scalars[i] == "'" {
                    let quote = scalars[i]; i += 1
                    while i < scalars.count, scalars[i] != quote { raw.unicodeScalars.append(scalars[i]); i += 1 }
                    guard i < scalars.count else { throw SyntaxError("unterminated string in '\(excerpt(whole))'") }
                    i += 1; quoted = true
                } else {
                    while i < scalars.count, scalars[i] != ",", scalars[i] != ")" { raw.unicodeScalars.append(scalars[i]); i += 1 }
                }
                var argument = Argument(name: nil, value: raw.trimmingWhitespace(), quoted: quoted)
                if !quoted, let equals = argument.value.firstIndex(of: "=") {
                    let key = argument.value[..<equals].trimmingWhitespace()
                    var value = argument.value[argument.value.index(after: equals)...].trimmingWhitespace()
                    if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                        value = String(value.dropFirst().dropLast()); argument.quoted = true
                    }
                    argument.name = key; argument.value = value
                }
                if argument.value.isEmpty, !argument.quoted {
                    throw SyntaxError("empty argument in '\(excerpt(whole))'")
                }
                arguments.append(argument)
                skipSpaces()
                guard i < scalars.count else {
                    throw SyntaxError("missing ')' in '\(excerpt(whole))'; in flow style ({…}) a value holding a comma must be quoted, or written in block style")
                }
                if scalars[i] == ")" { i += 1; break }
                if scalars[i] == "," { i += 1; continue }
                throw SyntaxError("expected ',' or ')' in '\(excerpt(whole))'")
            }
        }
        skipSpaces()
        guard i == scalars.count else { throw SyntaxError("unexpected text after ')' in '\(excerpt(whole))'") }
        return CallSyntax(name: name, arguments: arguments, hasParentheses: true)
    }
}

/// The named parameters of one call, read against what the call accepts. Problems gather in
/// `problems`; the caller reports them at the call's node.
struct CallParameters {
    let call: CallSyntax
    var problems: [String] = []
    private var values: [(name: String, value: String)] = []

    /// Checks names: each must be in `accepted`, none twice; positional arguments are refused
    /// unless `positional` names the parameter they stand for.
    init(_ call: CallSyntax, accepted: [String], positional: String? = nil, example: String) {
        self.call = call
        for (index, argument) in call.arguments.enumerated() {
            var name = argument.name
            if name == nil {
                if let positional, index == 0, call.arguments.count == 1 {
                    name = positional
                } else {
                    problems.append("\(call.name) takes named parameters, e.g. \(example)")
                    continue
                }
            }
            guard let name else { continue }
            if !accepted.contains(name) {
                problems.append(unknown("\(call.name) parameter", name, accepted))
            } else if values.contains(where: { $0.name == name }) {
                problems.append("parameter \(quoted(name)) given twice")
            } else {
                values.append((name, argument.value))
            }
        }
    }

    func has(_ name: String) -> Bool { values.contains { $0.name == name } }
    func raw(_ name: String) -> String? { values.first { $0.name == name }?.value }

    private mutating func required(_ name: String) -> String? {
        if let value = raw(name) { return value }
        // After a misspelt or positional parameter, "missing" would only repeat the problem.
        if problems.isEmpty { problems.append("missing parameter \(quoted(name))") }
        return nil
    }

    /// A duration parameter (ns) that must satisfy `valid`, described by `what`.
    mutating func duration(_ name: String, _ what: String, _ valid: (Double) -> Bool) -> Double? {
        guard let text = required(name) else { return nil }
        do {
            let ns = try ValueSyntax.duration(text)
            guard valid(ns) else { problems.append("\(name) must be \(what), got \(text)"); return nil }
            return ns
        } catch {
            problems.append("\(name): \(error.message)")
            return nil
        }
    }

    /// A plain-number parameter that must satisfy `valid`.
    mutating func number(_ name: String, _ what: String, _ valid: (Double) -> Bool) -> Double? {
        guard let text = required(name) else { return nil }
        guard let value = ValueSyntax.number(text) else {
            problems.append("\(name) is a plain number (no unit), got \(quoted(text))")
            return nil
        }
        guard valid(value) else { problems.append("\(name) must be \(what), got \(text)"); return nil }
        return value
    }
}

extension ScenarioReader {
    static let distributionNames = [
        "constant", "exponential", "uniform", "normal", "lognormal", "gamma", "erlang", "weibull", "pareto", "empirical",
    ]

    /// A distribution of durations: `exponential(mean=2ms)` and the other forms of the spec's
    /// table; a bare duration (`2ms`) reads as `constant(2ms)`. Parameters are checked here.
    func distribution(_ c: Cursor) -> Distribution? {
        guard let text = text(c, "a distribution like exponential(mean=2ms)") else { return nil }
        let trimmed = text.trimmingWhitespace()
        if let first = trimmed.unicodeScalars.first, first == "-" || first == "+" || first == "."
            || first.properties.numericType != nil {
            do {
                let ns = try ValueSyntax.duration(trimmed)
                guard ns >= 0 else { report(c, "a duration must not be negative, got \(trimmed)"); return nil }
                return .constant(ns)
            } catch {
                report(c, error.message)
                return nil
            }
        }
        let call: CallSyntax
        do { call = try CallSyntax.parse(trimmed) } catch {
            report(c, error.message)
            return nil
        }
        guard Self.distributionNames.contains(call.name) else {
            report(c, unknown("distribution", call.name, Self.distributionNames))
            return nil
        }
        guard call.hasParentheses else {
            report(c, "\(call.name) needs parameters, e.g. \(Self.example(call.name))")
            return nil
        }
        let positive: (Double) -> Bool = { $0 > 0 }
        let nonNegative: (Double) -> Bool = { $0 >= 0 }
        // Shapes are bounded so that moments stay finite; samples past Limits.duration are clamped.
        let shapeText = "positive and at most 1e15"
        let shaped: (Double) -> Bool = { $0 > 0 && $0 <= Limits.shape }
        var p: CallParameters
        var result: Distribution?
        switch call.name {
        case "constant":
            p = CallParameters(call, accepted: ["value"], positional: "value", example: "constant(1ms)")
            if let v = p.duration("value", "non-negative", nonNegative) { result = .constant(v) }
        case "exponential":
            p = CallParameters(call, accepted: ["mean"], example: Self.example(call.name))
            if let mean = p.duration("mean", "positive", positive) { result = .exponential(mean: mean) }
        case "uniform":
            p = CallParameters(call, accepted: ["min", "max"], example: Self.example(call.name))
            let lo = p.duration("min", "non-negative", nonNegative), hi = p.duration("max", "non-negative", nonNegative)
            if let lo, let hi {
                if lo <= hi { result = .uniform(min: lo, max: hi) } else {
                    p.problems.append("needs min <= max, got min=\(p.raw("min")!) and max=\(p.raw("max")!)")
                }
            }
        case "normal":
            p = CallParameters(call, accepted: ["mean", "sd"], example: Self.example(call.name))
            let mean = p.duration("mean", "positive", positive), sd = p.duration("sd", "non-negative", nonNegative)
            if let mean, let sd { result = .normal(mean: mean, sd: sd) }
        case "lognormal":
            p = CallParameters(call, accepted: ["median", "p99", "mean", "sd"], example: Self.example(call.name))
            if p.has("median") || p.has("p99") {
                if p.has("mean") || p.has("sd") {
                    p.problems.append("lognormal takes either median and p99, or mean and sd")
                } else if let median = p.duration("median", "positive", positive), let p99 = p.duration("p99", "positive", positive) {
                    if median < p99 { result = .lognormal(median: median, p99: p99) } else {
                        p.problems.append("needs 0 < median < p99, got median=\(p.raw("median")!) and p99=\(p.raw("p99")!)")
                    }
                }
            } else if p.has("mean") || p.has("sd") {
                let mean = p.duration("mean", "positive", positive), sd = p.duration("sd", "positive", positive)
                if let mean, let sd { result = .lognormal(mean: mean, sd: sd) }
            } else if p.problems.isEmpty {
                p.problems.append("lognormal takes median and p99, or mean and sd, e.g. \(Self.example(call.name))")
            }
        case "gamma":
            p = CallParameters(call, accepted: ["shape", "mean", "scale"], example: Self.example(call.name))
            let shape = p.number("shape", shapeText, shaped)
            if p.has("scale") && !p.has("mean") {
                if let shape, let scale = p.duration("scale", "positive", positive) { result = .gamma(shape: shape, scale: scale) }
            } else if p.has("scale") {
                p.problems.append("gamma takes mean or scale, not both")
            } else if let mean = p.duration("mean", "positive", positive), let shape {
                result = .gamma(shape: shape, mean: mean)
            }
        case "erlang":
            p = CallParameters(call, accepted: ["k", "mean"], example: Self.example(call.name))
            let k = p.number("k", "an integer >= 1") { $0 >= 1 && $0 == $0.rounded() && $0 < 1e9 }
            if let mean = p.duration("mean", "positive", positive), let k { result = .erlang(k: Int(k), mean: mean) }
        case "weibull":
            p = CallParameters(call, accepted: ["shape", "scale"], example: Self.example(call.name))
            let shape = p.number("shape", shapeText, shaped), scale = p.duration("scale", "positive", positive)
            if let shape, let scale { result = .weibull(shape: shape, scale: scale) }
        case "pareto":
            p = CallParameters(call, accepted: ["shape", "min"], example: Self.example(call.name))
            let shape = p.number("shape", shapeText, shaped), lo = p.duration("min", "positive", positive)
            if let shape, let lo { result = .pareto(shape: shape, min: lo) }
        default: // empirical
            p = CallParameters(call, accepted: ["path"], positional: "path", example: Self.example(call.name))
            if p.problems.isEmpty {
                if let path = p.raw("path") {
                    return empirical(path, at: c).map { .empirical($0) }
                }
                p.problems.append("missing the file path, e.g. \(Self.example(call.name))")
            }
        }
        if !p.problems.isEmpty {
            report(c, "in \(quoted(trimmed)): " + p.problems.joined(separator: "; "))
            return nil
        }
        return result
    }

    static func example(_ name: String) -> String {
        switch name {
        case "constant": "constant(1ms)"
        case "exponential": "exponential(mean=2ms)"
        case "uniform": "uniform(min=1ms, max=3ms)"
        case "normal": "normal(mean=5ms, sd=1ms)"
        case "lognormal": "lognormal(median=3ms, p99=20ms)"
        case "gamma": "gamma(shape=2, mean=4ms)"
        case "erlang": "erlang(k=3, mean=3ms)"
        case "weibull": "weibull(shape=1.5, scale=2ms)"
        case "pareto": "pareto(shape=2.5, min=1ms)"
        case "empirical": "empirical(\"calibration/product_view.csv\")"
        default: name + "(…)"
        }
    }
}
