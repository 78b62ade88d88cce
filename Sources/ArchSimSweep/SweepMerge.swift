// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimReport
import ArchSimScenario
import ArchSimStats
import Foundation

/// Joins the output directories of a sweep's shards into one: every point's folder and one
/// `sweep.csv` with the same bytes one process running the whole sweep writes.
///
/// Everything is read and checked before anything is written, and a problem writes nothing:
/// the directories must be shards of one sweep (equal fingerprints, see ``SweepFingerprint``),
/// every file read must be whole (plan, fingerprint, each point's `summary.csv` or
/// `comparison.csv` and `params.csv`), every point must be finished in exactly one directory.
/// Point folders are copied into a staging folder inside the target first and then renamed
/// into place; the files are written atomically. Cost: reads every point's result and
/// parameter file once; copies the folders of points the target lacks.
public enum SweepMerge {
    /// Merges `directories` into `target` (which may be one of them) and returns the number of
    /// points. Throws a ``SweepError`` listing every problem found.
    @discardableResult
    public static func merge(_ directories: [String], into target: String) throws(SweepError) -> Int {
        let sources = directories.map(SweepDirectory.init)
        let shard = try checkedShards(sources)
        let into = SweepDirectory(target)
        let targetIsSource = sources.contains { $0.isSame(as: into) }
        if !targetIsSource { try into.checkHolds(shard.fingerprint, plan: shard.planText) }

        var problems: [String] = []
        var missing: [String] = [], copies: [(id: String, from: SweepDirectory)] = []
        var sweep: CSVTable?
        for row in shard.plan.rows {
            let id = row[0]
            let holders = sources.filter { $0.isFinished(id) }
            guard let source = holders.first else { missing.append(id); continue }
            if holders.count > 1 {
                problems.append("point \(id) is finished in more than one directory (\(holders.map(\.path).joined(separator: ", "))): "
                                + "give each shard once, or merge into a fresh --out")
                continue
            }
            do throws(SweepError) {
                let result = try pointResult(id, in: source, parameters: Array(shard.plan.header.dropFirst()), values: Array(row.dropFirst()))
                if sweep == nil { sweep = CSVTable(header: shard.plan.header + result.header) }
                guard sweep!.header.count == shard.plan.header.count + result.header.count,
                      Array(sweep!.header.dropFirst(shard.plan.header.count)) == result.header else {
                    problems.append("\(source.point(id)): its results have other columns than point \(shard.plan.rows[0][0])'s")
                    continue
                }
                for r in result.rows { sweep!.append(row + r) }
            } catch { problems.append(error.description) }
            if !into.isSame(as: source) && !into.isFinished(id) { copies.append((id, source)) }
        }
        if !missing.isEmpty { problems.append("points missing (run their shards first): \(missing.joined(separator: ", "))") }
        guard problems.isEmpty, let sweep else { throw SweepError(problems.joined(separator: "\n")) }
        var files = [(SweepDirectory.planFile, shard.planText), (SweepDirectory.fingerprintFile, shard.fingerprint.text),
                     (SweepDirectory.sweepFile, sweep.text)]
        if let summary = replicationSummary(sweep, parameters: Array(shard.plan.header.dropFirst())) {
            files.append((replicationSummaryFile, summary.text))
        }
        try write(copies, files: files, into: into)
        return shard.plan.rows.count
    }

    /// Written beside sweep.csv by a sweep over `replication` (of `run`, not `compare`).
    public static let replicationSummaryFile = "replication-summary.csv"
    /// The metrics of summary.csv that replication-summary.csv gives a mean and interval of.
    static let summarizedMetrics = ["throughput_rps", "errors", "mean_ms", "p50_ms", "p99_ms", "p999_ms"]

    /// For a sweep over `replication`: one row per request type (and per combination of the other
    /// parameters), with the number of replications and, for each of ``summarizedMetrics``, the
    /// mean over the replication points and its 95% Student-t half-width (the formula of
    /// summary.csv's ci95 columns). Nil for other sweeps. Rows in the order of their first point.
    static func replicationSummary(_ sweep: CSVTable, parameters: [String]) -> CSVTable? {
        guard let r = parameters.firstIndex(of: SweepDefinition.replicationParameter) else { return nil }
        // Columns of sweep.csv: point, the parameters, then summary.csv's.
        let others = parameters.indices.filter { $0 != r }.map { $0 + 1 }
        let base = parameters.count + 1
        guard Array(sweep.header.dropFirst(base)) == ResultFiles.summaryHeader else { return nil }
        func column(_ name: String) -> Int { base + ResultFiles.summaryHeader.firstIndex(of: name)! }
        let scenario = column("scenario"), type = column("request_type")
        var groups: [[String]] = [], rows: [[String]: [[String]]] = [:]
        for row in sweep.rows {
            let key = others.map { row[$0] } + [row[scenario], row[type]]
            if rows[key] == nil { groups.append(key) }
            rows[key, default: []].append(row)
        }
        var header = others.map { sweep.header[$0] } + ["scenario", "request_type", "replications"]
        for m in summarizedMetrics {
            header += [m, m.hasSuffix("_ms") ? "\(m.dropLast(3))_ci95_ms" : "\(m)_ci95"]
        }
        var t = CSVTable(header: header)
        for key in groups {
            let members = rows[key]!
            var cells = key + [String(members.count)]
            for m in summarizedMetrics {
                let values = members.compactMap { Double($0[column(m)]) }
                let ci = ConfidenceInterval(values)
                let decimals = m.hasSuffix("_ms") ? 6 : 3
                cells += values.isEmpty ? ["", ""] : [CSVNumber.format(ci.mean, decimals: decimals),
                                                      CSVNumber.format(ci.halfWidth, decimals: decimals)]
            }
            t.append(cells)
        }
        return t
    }

    /// What the shards share: their plan (as text and as a table) and fingerprint, checked equal
    /// in every directory and consistent with each other.
    static func checkedShards(_ sources: [SweepDirectory]) throws(SweepError) -> (planText: String, plan: CSVTable, fingerprint: SweepFingerprint) {
        guard let first = sources.first else { throw SweepError("no directories to merge") }
        for (i, a) in sources.enumerated() {
            if let b = sources[..<i].first(where: { $0.isSame(as: a) }) {
                throw SweepError("\(b.path) and \(a.path) are the same directory: give each shard once")
            }
        }
        var shared: (planText: String, plan: CSVTable, fingerprint: SweepFingerprint)?
        for source in sources {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SweepError("\(source.path): no such directory")
            }
            guard FileManager.default.fileExists(atPath: source.planPath) else {
                throw SweepError("\(source.path) is not a sweep's output directory: it has no \(SweepDirectory.planFile)")
            }
            guard FileManager.default.fileExists(atPath: source.fingerprintPath) else {
                throw SweepError("\(source.fingerprintPath): missing, so merge cannot tell which sweep these points belong to "
                                 + "(written by an older archsim? run its shard again)")
            }
            let fingerprint = try SweepFingerprint(text: SweepFiles.read(source.fingerprintPath), path: source.fingerprintPath)
            let planText = try SweepFiles.read(source.planPath)
            guard fingerprint.matches(planText: planText) else {
                throw SweepError("\(source.planPath): damaged: it is not the plan \(source.fingerprintPath) was made from")
            }
            if let shared {
                if let difference = fingerprint.difference(from: shared.fingerprint) {
                    throw SweepError("\(source.path) and \(first.path) are outputs of different sweeps (\(difference)): "
                                     + "merge only the shards of one sweep")
                }
                continue
            }
            let plan = try SweepFiles.table(source.planPath)
            guard plan.header.first == "point", plan.header.count >= 2, !plan.rows.isEmpty,
                  plan.rows.enumerated().allSatisfy({ $1[0] == SweepPlan.id($0) }) else {
                throw SweepError("\(source.planPath): damaged: expected a column `point`, parameter columns and rows p0000, p0001, …")
            }
            shared = (planText, plan, fingerprint)
        }
        return shared!
    }

    /// A finished point's result rows (`comparison.csv` for compare sweeps, else `summary.csv`),
    /// refused when damaged or when its `params.csv` labels another point.
    static func pointResult(_ id: String, in source: SweepDirectory, parameters: [String], values: [String]) throws(SweepError) -> CSVTable {
        let folder = source.point(id)
        let comparison = (folder as NSString).appendingPathComponent("comparison.csv")
        let isComparison = FileManager.default.fileExists(atPath: comparison)
        let path = isComparison ? comparison : (folder as NSString).appendingPathComponent("summary.csv")
        let result = try SweepFiles.table(path, header: isComparison ? ComparisonFiles.header : ResultFiles.summaryHeader)
        guard !result.rows.isEmpty else { throw SweepError("\(path): damaged: no rows") }
        let paramsPath = (folder as NSString).appendingPathComponent(SweepDirectory.parametersFile)
        let params = try SweepFiles.table(paramsPath, header: parameters)
        guard params.rows == [values] else {
            throw SweepError("\(paramsPath): labels another point than \(id) of \(source.planPath) "
                             + "(\(params.rows.first?.joined(separator: ",") ?? "no values") vs \(values.joined(separator: ",")))")
        }
        return result
    }

    /// Copies the points' folders into `into/points/` (all into a staging folder first, then each
    /// renamed into place), then writes `files` (name, text) atomically. On failure removes the
    /// directories it created and names the path.
    static func write(_ copies: [(id: String, from: SweepDirectory)], files: [(name: String, text: String)],
                      into: SweepDirectory) throws(SweepError) {
        let fm = FileManager.default
        let created = [into.path, into.pointsPath].filter { !fm.fileExists(atPath: $0) }
        func undo() { for path in created.reversed() { try? fm.removeItem(atPath: path) } }
        let staging = into.file(".merge-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? fm.removeItem(atPath: staging) }
        do throws(SweepError) {
            try SweepFiles.createDirectory(into.pointsPath)
            if !copies.isEmpty { try SweepFiles.createDirectory(staging) }
            for (id, source) in copies {
                let staged = (staging as NSString).appendingPathComponent(id)
                do { try fm.copyItem(atPath: source.point(id), toPath: staged) }
                catch { throw SweepError("cannot copy \(source.point(id)) to \(staged): \(SweepFiles.reason(error))") }
            }
            for (id, _) in copies {
                let staged = (staging as NSString).appendingPathComponent(id), destination = into.point(id)
                do {
                    if fm.fileExists(atPath: destination) { try fm.removeItem(atPath: destination) }
                    try fm.moveItem(atPath: staged, toPath: destination)
                } catch { throw SweepError("cannot move \(staged) to \(destination): \(SweepFiles.reason(error))") }
            }
            for (name, text) in files { try SweepFiles.write(text, to: into.file(name)) }
        } catch {
            undo()
            throw error
        }
    }
}
