// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimReport
import Foundation

/// Runs a sweep's points into a ``SweepDirectory``, skipping the finished ones, so an interrupted
/// sweep (or shard) resumes where it stopped. What a point runs is the caller's: it writes the
/// point's result files into the folder it is given; the runner adds `params.csv` and, last, `done`.
public struct SweepRunner: Sendable {
    public let plan: SweepPlan
    public let fingerprint: SweepFingerprint
    public let directory: SweepDirectory

    public init(plan: SweepPlan, fingerprint: SweepFingerprint, directory: String) {
        self.plan = plan; self.fingerprint = fingerprint; self.directory = SweepDirectory(directory)
    }

    /// Makes the directory ready: refuses one holding another sweep's points (nothing written
    /// then), else creates it and writes the plan and the fingerprint.
    public func prepare() throws(SweepError) {
        let planText = plan.table.text
        try directory.checkHolds(fingerprint, plan: planText)
        try SweepFiles.createDirectory(directory.pointsPath)
        try SweepFiles.write(planText, to: directory.planPath)
        try SweepFiles.write(fingerprint.text, to: directory.fingerprintPath)
    }

    /// Of `points`, those not finished yet, in order.
    public func unfinished(_ points: [Int]) -> [Int] { points.filter { !directory.isFinished(SweepPlan.id($0)) } }

    /// Prepares the directory, then runs each unfinished point of `points` in order:
    /// `runPoint(i, folder)` writes point i's result files into `folder` (created first), then
    /// the runner writes `params.csv` and `done`. Errors of `runPoint` pass through unchanged.
    /// `progress` shows which point runs, how many are left and an ETA.
    public func run(points: [Int], progress: ProgressLine? = nil,
                    runPoint: (_ index: Int, _ folder: String) throws -> Void) throws {
        try prepare()
        let todo = unfinished(points)
        defer { progress?.finish() }
        let start = Date()
        for (n, i) in todo.enumerated() {
            let elapsed = Date().timeIntervalSince(start)
            let eta = n == 0 ? "" : String(format: ", ETA %.0fs", elapsed / Double(n) * Double(todo.count - n))
            progress?.message("point \(n + 1) of \(todo.count) to run (\(points.count - todo.count) already done\(eta)): "
                              + plan.describe(i))
            let folder = directory.point(SweepPlan.id(i))
            try SweepFiles.createDirectory(folder)
            try runPoint(i, folder)
            try SweepFiles.write(plan.parameters(i).text, to: (folder as NSString).appendingPathComponent(SweepDirectory.parametersFile))
            try SweepFiles.write("", to: (folder as NSString).appendingPathComponent(SweepDirectory.doneFile))
        }
    }
}
