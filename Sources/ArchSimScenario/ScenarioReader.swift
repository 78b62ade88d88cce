// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import Foundation
import ArchSimModel
import Yams

/// Walks a scenario's nodes and builds its description, reporting every problem with its
/// position. Readers return a best-effort value even after a problem (so reading goes on and
/// finds the next one); the loader throws if anything was reported.
final class ScenarioReader {
    let diagnostics = Diagnostics()
    /// The scenario file's directory: empirical CSV paths fall back to it.
    let scenarioDirectory: String
    /// Empirical distributions already read, by resolved path (lookup only, never iterated).
    var empiricalFiles: [String: EmpiricalDistribution?] = [:]
    /// A workload file read in place of the scenario's own `workload:` (compare --workload).
    var workloadOverride: String?
    /// Values set at key paths before reading (`--sweep`); each is applied once.
    var overrides: [ScenarioOverride] = [] { didSet { overrideApplied = overrides.map { _ in false } } }
    var overrideApplied: [Bool] = []
    /// Where a closed workload's `think` was written, for the check that the clock advances.
    var thinkCursor: Cursor?
    /// The operation whose steps are being resolved, and the `lock: row` writes found that use
    /// the request's key: a request type without a key must not reach them.
    var resolving = OperationRef(service: 0, operation: 0)
    var lockedRequestKeys: [(operation: OperationRef, at: Cursor)] = []
    /// `hosts:` as read (before the components placed on them): names and their index.
    var hosts: [HostKind] = []
    var hostIndex: [String: Int] = [:]

    /// `host: NAME` resolved, or nil with a problem.
    func hostReference(_ c: Cursor) -> Int? {
        guard let name = text(c, "a host name") else { return nil }
        if let h = hostIndex[name] { return h }
        report(c, hosts.isEmpty ? "unknown host \(quoted(name)) (no 'hosts:' are defined)" : unknown("host", name, hosts.map(\.name)))
        return nil
    }

    init(scenarioDirectory: String) { self.scenarioDirectory = scenarioDirectory }

    func report(_ at: Cursor, _ message: String) { diagnostics.report(at, message) }

    /// A mapping reader, or nil after reporting a wrong type.
    func map(_ c: Cursor, expected: String = "a mapping", allowNull: Bool = false) -> MapReader? {
        MapReader(c, diagnostics, expected: expected, allowNull: allowNull)
    }

    /// The items of a list (null reads as empty), or nil after reporting a wrong type.
    func list(_ c: Cursor, expected: String = "a list") -> [Cursor]? {
        if c.node.isNull { return [] }
        guard case .sequence(let sequence) = c.node else {
            report(c, "expected \(expected), got \(c.node.described)")
            return nil
        }
        return sequence.enumerated().map { c.element($0.offset, $0.element) }
    }

    // MARK: Scalars

    /// The text of a scalar, or nil after `expected <what>, got …`.
    func text(_ c: Cursor, _ what: String) -> String? {
        if let text = c.node.text { return text }
        report(c, "expected \(what), got \(c.node.described)")
        return nil
    }

    func string(_ c: Cursor) -> String? { text(c, "a string") }

    /// A name that can be referred to and written in result rows: letters, digits, `_`, `-`.
    func name(_ entry: MapReader.Entry, _ what: String) -> Bool {
        let valid = !entry.name.isEmpty && entry.name.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || $0 == "_" || $0 == "-"
        }
        if !valid {
            report(entry.key, "\(what) name \(quoted(entry.name)) may hold only letters, digits, '_' and '-'")
        }
        return valid
    }

    /// A whole number ≥ `minimum`; with `maximum`, one past it is refused with the bound and
    /// `why` (what the bound protects) in the message.
    func integer(_ c: Cursor, minimum: Int, _ what: String, maximum: Int? = nil, why: String = "") -> Int? {
        guard let text = text(c, what) else { return nil }
        guard let value = ValueSyntax.integer(text), value >= minimum else {
            report(c, "expected \(what), got \(c.node.described)")
            return nil
        }
        if let maximum, value > maximum {
            report(c, "expected \(what) of at most \(Limits.format(maximum))\(why.isEmpty ? "" : " (\(why))"), got \(c.node.described)")
            return nil
        }
        return value
    }

    func positiveInteger(_ c: Cursor) -> Int? { integer(c, minimum: 1, "a positive integer") }
    func nonNegativeInteger(_ c: Cursor) -> Int? { integer(c, minimum: 0, "a non-negative integer") }
    /// A positive count of at most `maximum`.
    func count(_ c: Cursor, maximum: Int, why: String = "") -> Int? {
        integer(c, minimum: 1, "a positive integer", maximum: maximum, why: why)
    }

    /// A number that passes `valid` (`what` says which, e.g. "a positive number"); with
    /// `maximum`, one past it is refused with the bound in the message.
    /// A `cost:` per hour: a non-negative number.
    func cost(_ c: Cursor) -> Double? {
        number(c, "a cost per hour (a non-negative number, any currency)", maximum: Limits.cost) { $0 >= 0 }
    }

    func number(_ c: Cursor, _ what: String, maximum: Double? = nil, _ valid: (Double) -> Bool) -> Double? {
        guard let text = text(c, what) else { return nil }
        guard let value = ValueSyntax.number(text), valid(value) else {
            report(c, "expected \(what), got \(c.node.described)")
            return nil
        }
        if let maximum, value > maximum {
            let bound = maximum >= 1e15 ? String(format: "%.0e", maximum).replacingOccurrences(of: "e+", with: "e") : ValueSyntax.format(maximum)
            report(c, "expected \(what) of at most \(bound), got \(c.node.described)")
            return nil
        }
        return value
    }

    /// A duration in whole nanoseconds (at most ``Limits/duration``); zero allowed only when
    /// `allowZero`. A positive duration that rounds to 0 ns is zero to the clock, and refused
    /// where zero is.
    func duration(_ c: Cursor, allowZero: Bool) -> Nanoseconds? {
        guard let text = text(c, "a duration like 250us, 1.5ms or 10m") else { return nil }
        do {
            let ns = try ValueSyntax.duration(text)
            let whole = Nanoseconds(ns.rounded())
            if ns < 0 || (!allowZero && whole == 0) {
                let rounds = ns > 0 ? " (\(excerpt(text.trimmingWhitespace())) rounds to 0 ns: the clock counts whole nanoseconds)" : ""
                report(c, "expected a \(allowZero ? "non-negative" : "positive") duration, got \(excerpt(text))\(rounds)")
                return nil
            }
            return whole
        } catch {
            report(c, error.message)
            return nil
        }
    }

    /// A rate in events per second; zero allowed only when `allowZero`. A positive rate lies
    /// between ``Limits/minimumRate`` and ``Limits/maximumRate``.
    func rate(_ c: Cursor, allowZero: Bool) -> Double? {
        guard let text = text(c, "a rate like 8000/s") else { return nil }
        do {
            let perSecond = try ValueSyntax.rate(text)
            if perSecond < 0 || (!allowZero && perSecond == 0) {
                report(c, "expected a \(allowZero ? "non-negative" : "positive") rate, got \(excerpt(text))")
                return nil
            }
            if let problem = ValueSyntax.rateProblem(perSecond) {
                report(c, "\(problem), got \(excerpt(text))")
                return nil
            }
            return perSecond
        } catch {
            report(c, error.message)
            return nil
        }
    }

    /// A fraction in (0, 1], or [0, 1] when `allowZero`, written `50%` or `0.5`.
    func fraction(_ c: Cursor, allowZero: Bool = false) -> Double? {
        let expected = "a fraction in \(allowZero ? "[0, 1]" : "(0, 1]") like 50% or 0.5"
        guard let text = text(c, expected) else { return nil }
        do {
            let value = try ValueSyntax.fraction(text)
            guard value <= 1, value > 0 || (allowZero && value == 0) else {
                let trimmed = text.trimmingWhitespace()
                let hint = !trimmed.hasSuffix("%") && value > 1 && value <= 100 ? " (write \(trimmed)% for a percentage)" : ""
                report(c, "expected \(expected), got \(trimmed)\(hint)")
                return nil
            }
            return value
        } catch {
            report(c, error.message)
            return nil
        }
    }

    /// `true` or `false`.
    func boolean(_ c: Cursor) -> Bool? {
        guard let text = text(c, "true or false") else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            report(c, "expected true or false, got \(c.node.described)")
            return nil
        }
    }

    /// One of an enumeration's raw values, with a did-you-mean.
    func choice<E: RawRepresentable & CaseIterable>(_ c: Cursor, _ type: E.Type) -> E? where E.RawValue == String {
        let names = E.allCases.map(\.rawValue)
        guard let text = text(c, "one of " + names.joined(separator: " | ")) else { return nil }
        if let value = E(rawValue: text) { return value }
        report(c, unknown("value", text, names))
        return nil
    }

    /// A service balancer, `{policy: round_robin, retry_failed: 1}`: the policy and retry_failed
    /// (nil when not written).
    func loadBalancer(_ c: Cursor) -> (policy: BalancerPolicy?, retryFailed: Int?)? {
        guard let m = map(c) else { return nil }
        m.checkKeys(FormatKeys.loadBalancer.names, diagnostics)
        let retry = m["retry_failed"].flatMap { integer($0, minimum: 0, "a non-negative integer", maximum: Limits.retries) }
        guard let policy = m["policy"] else {
            if retry == nil && m["retry_failed"] == nil { report(c, "a load balancer needs policy or retry_failed") }
            return (nil, retry)
        }
        return choice(policy, BalancerPolicy.self).map { ($0, retry) }
    }

    /// `{policy: round_robin}`.
    func balancer(_ c: Cursor) -> BalancerPolicy? {
        guard let m = map(c) else { return nil }
        m.checkKeys(FormatKeys.balancer.names, diagnostics)
        guard let policy = m.require("policy", diagnostics) else { return nil }
        return choice(policy, BalancerPolicy.self)
    }
}
