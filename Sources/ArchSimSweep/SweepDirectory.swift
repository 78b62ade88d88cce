// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimReport
import Foundation

/// The output directory of a sweep (or of one shard of it):
///
///     DIR/sweep-plan.csv          every point's id and parameters (the same in every shard)
///     DIR/sweep-fingerprint.txt   which sweep the points belong to (``SweepFingerprint``)
///     DIR/points/ID/              a point's CSV files, its params.csv, and `done` once finished
///     DIR/sweep.csv               every point's rows (a whole sweep, or a merge)
///
/// A point is finished when its `done` file exists: it is written last, after every other file
/// of the point, so a point interrupted half-way is not finished and runs again.
public struct SweepDirectory: Sendable {
    public static let planFile = "sweep-plan.csv"
    public static let fingerprintFile = "sweep-fingerprint.txt"
    public static let sweepFile = "sweep.csv"
    public static let doneFile = "done"
    public static let parametersFile = "params.csv"

    /// The directory's path as given.
    public let path: String

    public init(_ path: String) { self.path = path }

    public var planPath: String { file(Self.planFile) }
    public var fingerprintPath: String { file(Self.fingerprintFile) }
    public var sweepPath: String { file(Self.sweepFile) }
    public var pointsPath: String { file("points") }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The folder of the point with id `id`.
    public func point(_ id: String) -> String { (pointsPath as NSString).appendingPathComponent(id) }

    /// Whether the point with id `id` is finished (its `done` file exists).
    public func isFinished(_ id: String) -> Bool {
        FileManager.default.fileExists(atPath: (point(id) as NSString).appendingPathComponent(Self.doneFile))
    }

    /// The path with `.`, `..` and symbolic links resolved: two names of one directory compare equal.
    var canonicalPath: String {
        (URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path as NSString).standardizingPath
    }

    /// Whether `other` names the same directory.
    func isSame(as other: SweepDirectory) -> Bool { canonicalPath == other.canonicalPath }

    /// Whether anything of a sweep is here yet (a plan, a fingerprint or a points folder).
    var holdsSweep: Bool {
        [planPath, fingerprintPath, pointsPath].contains { FileManager.default.fileExists(atPath: $0) }
    }

    /// Refuses a directory that already holds the points of another sweep, so that they are never
    /// resumed or merged under this sweep's labels. A directory with no fingerprint (written before
    /// fingerprints existed) is checked by its plan alone.
    func checkHolds(_ fingerprint: SweepFingerprint, plan: String) throws(SweepError) {
        let fm = FileManager.default
        if fm.fileExists(atPath: fingerprintPath) {
            let existing = try SweepFingerprint(text: SweepFiles.read(fingerprintPath), path: fingerprintPath)
            if let difference = existing.difference(from: fingerprint) {
                throw SweepError("\(path) holds the points of another sweep (\(difference)); remove it or choose another output directory")
            }
        } else if fm.fileExists(atPath: planPath), try SweepFiles.read(planPath) != plan {
            throw SweepError("\(path) holds the points of another sweep (its \(Self.planFile) lists other points); remove it or choose another output directory")
        }
    }
}

/// File operations whose failures are sentences naming the path.
enum SweepFiles {
    static func read(_ path: String) throws(SweepError) -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw SweepError("\(path): missing") }
        do { return try String(contentsOfFile: path, encoding: .utf8) }
        catch { throw SweepError("\(path): cannot read it as UTF-8 text (\(reason(error)))") }
    }

    /// A CSV file, refused when it does not parse or its header is not `header` (when given).
    static func table(_ path: String, header: [String]? = nil) throws(SweepError) -> CSVTable {
        let text = try read(path)
        let table: CSVTable
        do { table = try CSVTable(parsing: text) }
        catch { throw SweepError("\(path): damaged: not a valid CSV file (\(error))") }
        if let header, table.header != header {
            throw SweepError("\(path): damaged: its header is \(table.header.joined(separator: ",")), expected \(header.joined(separator: ","))")
        }
        return table
    }

    static func write(_ text: String, to path: String) throws(SweepError) {
        do { try AtomicFile.write(text, to: path) }
        catch { throw SweepError("cannot write \(path): \(reason(error))") }
    }

    static func createDirectory(_ path: String) throws(SweepError) {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        catch { throw SweepError("cannot create the directory \(path): \(reason(error))") }
    }

    /// The last, most specific part of a Foundation error's message.
    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return ns.localizedDescription
    }
}
