// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import Foundation

/// Why a value cannot be written so that it reads back the same; `keyPath` says where.
public struct ScenarioWriterError: Error, CustomStringConvertible, Sendable {
    public var keyPath: String
    public var message: String
    public var description: String { keyPath.isEmpty ? message : "\(keyPath): \(message)" }
}

/// The value syntax of ``ValueSyntax`` the other way round: durations, rates, numbers and
/// distributions as text that the reader parses back to exactly the same value. Every
/// candidate text is checked with the reader's own parser, so the two cannot drift apart.
/// Among exact texts the writer takes the one with the fewest significant digits (`1.5ms`, not
/// `1500000ns`), the larger unit on a tie.
enum ValueText {
    /// Units from the largest down; `µs` is read but `us` is written.
    static let durationUnits = ValueSyntax.durationUnits.filter { $0.name != "µs" }.sorted { $0.nanoseconds > $1.nanoseconds }

    /// A plain number: `12`, `0.99`, `1e-05`; Swift's shortest text that reads back exactly.
    static func number(_ value: Double) -> String {
        ValueSyntax.format(value)
    }

    /// A duration (ns, fractional allowed) that ``ValueSyntax/duration(_:)`` reads back as `ns` exactly.
    static func duration(_ ns: Double) -> String {
        duration(ns) { $0 == ns }
    }

    /// A duration in whole nanoseconds, as the reader rounds it.
    static func duration(_ ns: Nanoseconds) -> String {
        duration(Double(ns)) { Nanoseconds($0.rounded()) == ns }
    }

    private static func duration(_ ns: Double, reads: (Double) -> Bool) -> String {
        if ns == 0 { return "0ms" }
        var best: (text: String, digits: Int)?
        for unit in durationUnits {
            let value = ns / unit.nanoseconds
            guard abs(value) >= 1 || unit.nanoseconds == 1,
                  let digits = shortest(value, reads: { (try? ValueSyntax.duration($0 + unit.name)).map(reads) ?? false })
            else { continue }
            let count = significantDigits(digits)
            if best == nil || count < best!.digits { best = (digits + unit.name, count) }
        }
        return best?.text ?? (ns.description + "ns")
    }

    /// A rate (per second) that ``ValueSyntax/rate(_:)`` reads back exactly: `900/s`, `30/m`.
    static func rate(_ perSecond: Double) -> String {
        var best: (text: String, digits: Int)?
        for unit in ValueSyntax.rateUnits {
            let suffix = "/" + unit.name
            guard let digits = shortest(perSecond * unit.seconds, reads: { (try? ValueSyntax.rate($0 + suffix)) == perSecond })
            else { continue }
            let count = significantDigits(digits)
            if best == nil || count < best!.digits { best = (digits + suffix, count) }
        }
        return best?.text ?? (perSecond.description + "/s")
    }

    /// The number with the fewest significant digits near `value` whose text `reads` accepts:
    /// `12.3456` for 12345.6 ns in µs, where 12345.6 / 1000 is 12.345600000000001. At most 17
    /// tries (then Swift's shortest text of `value` itself).
    static func shortest(_ value: Double, reads: (String) -> Bool) -> String? {
        for precision in 1...17 {
            guard let rounded = Double(String(format: "%.\(precision)g", value)) else { continue }
            let text = number(rounded)
            if reads(text) { return text }
        }
        let text = number(value)
        return reads(text) ? text : nil
    }

    /// Digits of a number's text without leading zeros or exponent: `0.0015` → 2, `1500` → 4.
    static func significantDigits(_ text: String) -> Int {
        let mantissa = text.split(whereSeparator: { $0 == "e" || $0 == "E" }).first ?? ""
        let digits = mantissa.filter(\.isNumber).drop { $0 == "0" }
        return max(1, digits.count)
    }

    /// `1.5ms` → `1.5`.
    static func withoutUnit(_ text: String) -> String {
        String(text.reversed().drop(while: \.isLetter).reversed())
    }

    // MARK: Distributions

    /// A distribution in the call syntax the reader parses back to the same value.
    /// `empiricalPath` gives the path an empirical distribution is written with.
    static func distribution(_ d: Distribution, empiricalPath: (EmpiricalDistribution) -> String) throws(ScenarioWriterError) -> String {
        let t = duration as (Double) -> String
        switch d {
        case .constant(let v): return "constant(\(t(v)))"
        case .exponential(let mean): return "exponential(mean=\(t(mean)))"
        case .uniform(let lo, let hi): return "uniform(min=\(t(lo)), max=\(t(hi)))"
        case .normal(let mean, let sd): return "normal(mean=\(t(mean)), sd=\(t(sd)))"
        case .lognormal(let mu, let sigma): return try lognormal(mu: mu, sigma: sigma)
        case .gamma(let shape, let scale):
            // The spec's form (`mean=`) when it reads back exactly and is no longer than the scale.
            let mean = shape * scale
            if mean > 0, Distribution.gamma(shape: shape, mean: mean) == d,
               significantDigits(withoutUnit(t(mean))) <= significantDigits(withoutUnit(t(scale))) {
                return "gamma(shape=\(number(shape)), mean=\(t(mean)))"
            }
            return "gamma(shape=\(number(shape)), scale=\(t(scale)))"
        case .erlang(let k, let mean): return "erlang(k=\(k), mean=\(t(mean)))"
        case .weibull(let shape, let scale): return "weibull(shape=\(number(shape)), scale=\(t(scale)))"
        case .pareto(let shape, let lo): return "pareto(shape=\(number(shape)), min=\(t(lo)))"
        case .empirical(let e):
            let path = empiricalPath(e)
            guard !path.isEmpty else {
                throw ScenarioWriterError(keyPath: "", message: "an empirical distribution without a file cannot be written")
            }
            let quote = path.contains("\"") ? "'" : "\""
            guard !path.contains(quote) else {
                throw ScenarioWriterError(keyPath: "", message: "the path \(path) holds both kinds of quotes")
            }
            return "empirical(\(quote)\(path)\(quote))"
        }
    }

    /// The model keeps a lognormal as (μ, σ) of ln(ns); the format writes `median=…, p99=…` or
    /// `mean=…, sd=…`. A value read from either form is found again by searching the doubles
    /// next to the analytic inverse (the forward maps round, so the inverse can be a few ulps
    /// off) for a pair the kernel's own constructor maps back to exactly (μ, σ): ±8 ulps for a
    /// median, ±32 for a p99, a mean or an sd; some 5,000 logarithms at most.
    /// Fewest digits wins, median/p99 on a tie. A (μ, σ) that neither form reaches (one made
    /// in code, say by scaling) is an error rather than a silently different number.
    static func lognormal(mu: Double, sigma: Double) throws(ScenarioWriterError) -> String {
        let target = Distribution.lognormal(mu: mu, sigma: sigma)
        // Candidates are ranked by the digits their value needs (cheap); only the best is written.
        var best: (a: Double, b: Double, names: (String, String), digits: Int)?
        func consider(_ a: Double, _ b: Double, _ names: (String, String)) {
            let digits = precision(a) + precision(b)
            if best == nil || digits < best!.digits { best = (a, b, names, digits) }
        }
        if sigma > 0 {
            for m in neighbours(Foundation.exp(mu), 8) where m > 0 && Foundation.log(m) == mu {
                for p in neighbours(m * Foundation.exp(sigma * Distribution.z99), 32)
                where p > m && Distribution.lognormal(median: m, p99: p) == target {
                    consider(m, p, ("median", "p99"))
                }
            }
            let mean0 = Foundation.exp(mu + sigma * sigma / 2)
            let sd0 = mean0 * Foundation.expm1(sigma * sigma).squareRoot()
            for mean in neighbours(mean0, 32) where mean > 0 {
                for sd in neighbours(sd0, 32) where sd > 0 && Distribution.lognormal(mean: mean, sd: sd) == target {
                    consider(mean, sd, ("mean", "sd"))
                }
            }
        }
        guard let best else {
            throw ScenarioWriterError(keyPath: "", message: "lognormal(mu=\(mu), sigma=\(sigma)) has no median/p99 or mean/sd form that reads back exactly")
        }
        return "lognormal(\(best.names.0)=\(duration(best.a)), \(best.names.1)=\(duration(best.b)))"
    }

    /// The fewest significant digits that give `x` back exactly (1...17).
    static func precision(_ x: Double) -> Int {
        for p in 1...16 where Double(String(format: "%.\(p)g", x)) == x { return p }
        return 17
    }

    /// `x` and the `k` doubles on either side of it, nearest first.
    static func neighbours(_ x: Double, _ k: Int) -> [Double] {
        guard x.isFinite else { return [] }
        var out = [x], up = x, down = x
        for _ in 0..<k {
            up = up.nextUp; down = down.nextDown
            out += [up, down]
        }
        return out
    }
}
