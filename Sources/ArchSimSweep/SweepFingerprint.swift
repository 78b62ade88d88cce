// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimScenario
import Foundation

/// Which sweep a directory's points belong to, so that `merge` joins only shards of one sweep
/// and a rerun resumes only its own points. It is made of what decides a point's results and
/// labels, each part hashed with 64-bit FNV-1a (``StableHash/fnv1a64(_:)``: the same in every
/// process and on every machine, unlike Swift's `Hasher`):
///
/// - `plan`: the point list (`sweep-plan.csv`: ids, parameters, values). With `replications`, it
///   is the sweep file's content normalised: comments, spacing and the file's own path do not count;
/// - `replications`: the sweep file's `replications:` (`-` when it has none);
/// - `scenario`: the base scenario file's bytes; `compared` and `workload` likewise for the other
///   scenarios and the workload of `compare --sweep`;
/// - `settings`: the command-line settings that change results (`--seed 7`, …), or `-`.
///
/// Files a scenario names inside it (an included workload, an empirical CSV) are not hashed.
/// Written to `sweep-fingerprint.txt` as `key: value` lines; two fingerprints are equal when
/// every line is, and ``difference(from:)`` says which part differs.
public struct SweepFingerprint: Sendable, Equatable {
    /// The parts, in file order.
    public private(set) var parts: [(key: String, value: String)]

    static let header = "# The sweep these points belong to: archsim merge joins only directories whose lines all match."
    static let format = "archsim-sweep-fingerprint 1"

    /// The fingerprint of running `plan`. `scenarioText` is the base scenario file's content,
    /// `compared` the other scenarios' (compare --sweep), `workload` the workload file's;
    /// `settings` the result-changing command-line settings, e.g. `["--seed 7"]`.
    public init(plan: SweepPlan, scenarioText: String, compared: [String] = [], workload: String? = nil,
                settings: [String] = []) {
        parts = [("format", Self.format),
                 ("plan", Self.hash(plan.table.text)),
                 ("replications", plan.definition.replications.map(String.init) ?? "-"),
                 ("scenario", Self.hash(scenarioText))]
        if !compared.isEmpty { parts.append(("compared", compared.map(Self.hash).joined(separator: " "))) }
        if let workload { parts.append(("workload", Self.hash(workload))) }
        parts.append(("settings", settings.isEmpty ? "-" : settings.joined(separator: " ")))
    }

    /// Reads `plan`'s files: the base scenario, the compared scenarios and the workload, each
    /// by its path. A file that cannot be read is a ``SweepError`` naming it.
    public init(plan: SweepPlan, compared: [String] = [], workload: String? = nil, settings: [String] = []) throws(SweepError) {
        var others: [String] = []
        for path in compared { others.append(try SweepFiles.read(path)) }
        var workloadText: String?
        if let workload { workloadText = try SweepFiles.read(workload) }
        self.init(plan: plan, scenarioText: try SweepFiles.read(plan.definition.scenarioPath), compared: others,
                  workload: workloadText, settings: settings)
    }

    /// Reads the text of `sweep-fingerprint.txt`; `path` names the file in errors.
    public init(text: String, path: String) throws(SweepError) {
        parts = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else {
                throw SweepError("\(path): damaged: expected `key: value` lines, got '\(line)'")
            }
            parts.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        guard parts.first?.key == "format", parts.first?.value == Self.format, self["plan"] != nil else {
            throw SweepError("\(path): damaged or from another version of archsim (expected a first line `format: \(Self.format)` and a `plan:` line)")
        }
    }

    /// The value of part `key`, if present.
    public subscript(key: String) -> String? { parts.first { $0.key == key }?.value }

    /// The file's text.
    public var text: String { ([Self.header] + parts.map { "\($0.key): \($0.value)" }).joined(separator: "\n") + "\n" }

    /// One hash of every part: short enough to print.
    public var digest: String { Self.hash(text) }

    /// Whether `plan`'s text is the one this fingerprint was made from.
    public func matches(planText: String) -> Bool { self["plan"] == Self.hash(planText) }

    /// nil when equal; else which part differs, in words: "the base scenario differs", …
    public func difference(from other: SweepFingerprint) -> String? {
        let keys = parts.map(\.key) + other.parts.map(\.key).filter { k in !parts.contains { $0.key == k } }
        guard let key = keys.first(where: { self[$0] != other[$0] }) else { return nil }
        switch key {
        case "plan": return "the points differ: another sweep file or grid"
        case "replications": return "the sweep file's replications differ (\(self[key] ?? "-") vs \(other[key] ?? "-"))"
        case "scenario": return "the base scenario differs"
        case "compared": return "the compared scenarios differ"
        case "workload": return "the workload differs"
        case "settings": return "the run settings differ (\(self[key] ?? "-") vs \(other[key] ?? "-"))"
        default: return "their fingerprints differ in '\(key)'"
        }
    }

    public static func == (a: SweepFingerprint, b: SweepFingerprint) -> Bool { a.difference(from: b) == nil }

    static func hash(_ text: String) -> String {
        let h = String(StableHash.fnv1a64(text), radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h
    }
}
