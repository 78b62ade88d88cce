// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import Foundation

/// The CSV files behind `empirical("path.csv")`, read into nanoseconds. Two shapes:
///
/// - one column of measured values in milliseconds, with an optional header line;
/// - a histogram with the header `lower_ms,upper_ms,weight` (or `count`), one bin per line,
///   bins ascending and not overlapping (gaps become zero-weight bins).
///
/// Blank lines and lines starting with `#` are skipped.
enum EmpiricalCSV {
    /// A problem at a line of the CSV file (1-based), nil for the whole file.
    struct Problem: Error {
        var line: Int?
        var message: String
    }

    /// The largest value, in ms: a duration's bound (10⁶ h).
    static let maximumMs = Limits.duration / 1e6
    static let maximumText = "3600000000000 ms (\(Limits.durationText))"

    static func parse(_ text: String, source: String) throws(Problem) -> EmpiricalDistribution {
        var rows: [(line: Int, fields: [String])] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            rows.append((index + 1, line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }))
        }
        guard let first = rows.first else { throw Problem(line: nil, message: "empty CSV file") }
        let isHeader = first.fields.contains { ValueSyntax.number($0) == nil }
        if isHeader {
            let header = first.fields.map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            rows.removeFirst()
            if header.count == 3, header[0] == "lower_ms", header[1] == "upper_ms", header[2] == "weight" || header[2] == "count" {
                return try histogram(rows, source: source)
            }
            guard header.count == 1 else {
                throw Problem(line: first.line, message: "unknown CSV header \(quoted(first.fields.joined(separator: ","))): expected one column of values in ms, or lower_ms,upper_ms,weight for a histogram")
            }
        }
        var values: [Double] = []
        for row in rows {
            guard row.fields.count == 1 else {
                throw Problem(line: row.line, message: "expected one value (ms) per line, got \(row.fields.count) fields (a histogram needs the header lower_ms,upper_ms,weight)")
            }
            guard let ms = ValueSyntax.number(row.fields[0]), ms >= 0 else {
                throw Problem(line: row.line, message: "expected a non-negative number of milliseconds, got \(quoted(row.fields[0]))")
            }
            guard ms <= maximumMs else {
                throw Problem(line: row.line, message: "a value may be at most \(maximumText), got \(quoted(row.fields[0]))")
            }
            values.append(ms * 1e6)
        }
        guard !values.isEmpty else { throw Problem(line: nil, message: "no values in CSV file") }
        return EmpiricalDistribution(values: values, source: source)
    }

    private static func histogram(_ rows: [(line: Int, fields: [String])], source: String) throws(Problem) -> EmpiricalDistribution {
        var edges: [Double] = []
        var weights: [Double] = []
        for row in rows {
            guard row.fields.count == 3 else {
                throw Problem(line: row.line, message: "expected lower_ms,upper_ms,weight, got \(row.fields.count) fields")
            }
            let numbers = row.fields.map { ValueSyntax.number($0) }
            guard let lower = numbers[0], let upper = numbers[1], let weight = numbers[2] else {
                throw Problem(line: row.line, message: "expected three numbers, got \(quoted(row.fields.joined(separator: ",")))")
            }
            guard lower >= 0, lower < upper else {
                throw Problem(line: row.line, message: "a bin needs 0 <= lower_ms < upper_ms, got \(excerpt(row.fields[0])) and \(excerpt(row.fields[1]))")
            }
            guard weight >= 0 else {
                throw Problem(line: row.line, message: "a bin's weight must not be negative, got \(excerpt(row.fields[2]))")
            }
            guard upper <= maximumMs else {
                throw Problem(line: row.line, message: "a bin's upper_ms may be at most \(maximumText), got \(excerpt(row.fields[1]))")
            }
            guard weight <= Limits.weight else {
                throw Problem(line: row.line, message: "a bin's weight may be at most 1e15, got \(excerpt(row.fields[2]))")
            }
            let lowerNs = lower * 1e6, upperNs = upper * 1e6
            if let last = edges.last {
                guard lowerNs >= last else {
                    throw Problem(line: row.line, message: "bins must be ascending and not overlap: \(excerpt(row.fields[0])) is below the previous bin's upper edge")
                }
                if lowerNs > last { edges.append(lowerNs); weights.append(0) }
            } else {
                edges.append(lowerNs)
            }
            edges.append(upperNs); weights.append(weight)
        }
        guard !weights.isEmpty else { throw Problem(line: nil, message: "no bins in histogram CSV file") }
        guard weights.contains(where: { $0 > 0 }) else { throw Problem(line: nil, message: "all histogram weights are zero") }
        return EmpiricalDistribution(binEdges: edges, weights: weights, source: source)
    }
}

extension ScenarioReader {
    /// Reads (once) the CSV at `path`, relative to the file holding the reference, or failing
    /// that to the scenario file's directory.
    func empirical(_ path: String, at c: Cursor) -> EmpiricalDistribution? {
        var candidates = [FilePath.join(c.file.directory, path)]
        let fallback = FilePath.join(scenarioDirectory, path)
        if fallback != candidates[0] { candidates.append(fallback) }
        let resolved = candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
        if let known = empiricalFiles[resolved] { return known }
        var result: EmpiricalDistribution?
        if let text = YAMLDocument.read(path: resolved, what: "empirical CSV", reference: c, diagnostics) {
            do {
                result = try EmpiricalCSV.parse(text, source: resolved)
            } catch {
                // At the scenario's reference, naming the CSV's line: both places are needed to fix it.
                report(c, "empirical CSV \(resolved)\(error.line.map { ":\($0)" } ?? ""): \(error.message)")
            }
        }
        empiricalFiles[resolved] = .some(result)
        return result
    }
}
