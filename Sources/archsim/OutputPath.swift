// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// Checks, before any work is done, that the CLI can write where it was told to, so a bad
/// `--out` fails at once with a sentence naming the path (exit status 2) instead of after a
/// long simulation with a system error dump. Writing can still fail later (a full disk, a
/// directory removed meanwhile): ``OutputPath/writing(_:_:)`` turns that into the same kind of
/// sentence.
enum OutputPath {
    /// Longest name of one path component and of a whole path, in bytes (Linux NAME_MAX, PATH_MAX).
    static let nameMax = 255
    static let pathMax = 4095

    /// `path` is, or can be created as, a directory this process may write into.
    static func directory(_ path: String, option: String) throws {
        try checkSyntax(path, option: option, what: "a directory")
        if let kind = kind(of: path) {
            guard kind == .directory else {
                throw InputError(description: "\(option) \(path): \(kind.described), not a directory")
            }
            try writable(directory: path, option: option, for: path)
            return
        }
        try creatable(path, option: option)
    }

    /// `path` names a regular file (new, or to be replaced) in a directory this process may
    /// write into. The directory must exist.
    static func file(_ path: String, option: String) throws {
        try checkSyntax(path, option: option, what: "a file name")
        if let kind = kind(of: path), kind != .regular {
            throw InputError(description: "\(option) \(path): \(kind.described), not a file"
                             + (kind == .directory ? "; give a file name" : ""))
        }
        let parent = (path as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        switch kind(of: directory) {
        case .directory?: try writable(directory: directory, option: option, for: path)
        case let other?: throw InputError(description: "\(option) \(path): \(directory) \(other.described), not a directory")
        case nil: throw InputError(description: "\(option) \(path): directory \(directory) does not exist")
        }
    }

    /// Runs `body` (which writes `path`), turning a file-system error into a sentence naming
    /// the path.
    static func writing<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as InputError { throw e }
        catch { throw InputError(description: "cannot write \(path): \(reason(error))") }
    }

    /// A file-system error in a few words: the POSIX reason when there is one.
    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let description = ns.userInfo[NSLocalizedDescriptionKey] as? String { return description }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
        case .fileWriteFileExists: return "a file is in the way"
        default: return ns.localizedDescription
        }
    }

    // MARK: Parts

    enum Kind: Equatable {
        case directory, regular, other
        var described: String {
            switch self {
            case .directory: "is a directory"
            case .regular: "is a file"
            case .other: "is a device or special file"
            }
        }
    }

    /// What is at `path` (following symbolic links), or nil when nothing is (or a component
    /// on the way is not a directory).
    static func kind(of path: String) -> Kind? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        default: return .other
        }
    }

    private static func checkSyntax(_ path: String, option: String, what: String) throws {
        guard !path.isEmpty else { throw InputError(description: "\(option): expected \(what), got an empty path") }
        if path.utf8.count > pathMax {
            throw InputError(description: "\(option): the path is too long (\(path.utf8.count) bytes; at most \(pathMax))")
        }
        if let long = path.split(separator: "/").first(where: { $0.utf8.count > nameMax }) {
            throw InputError(description: "\(option) \(path.prefix(80))…: the name '\(long.prefix(40))…' is too long "
                             + "(\(long.utf8.count) bytes; at most \(nameMax))")
        }
    }

    private static func writable(directory: String, option: String, for path: String) throws {
        guard access(directory, W_OK | X_OK) == 0 else {
            let why = String(cString: strerror(errno))
            let subject = directory == path ? "directory \(path)" : "\(path): directory \(directory)"
            throw InputError(description: "\(option) \(subject) is not writable (\(why.lowercased()))")
        }
    }

    /// `path` does not exist: its nearest existing ancestor must be a writable directory.
    private static func creatable(_ path: String, option: String) throws {
        var ancestor = path
        while true {
            let parent = (ancestor as NSString).deletingLastPathComponent
            ancestor = parent.isEmpty ? "." : parent
            if let kind = kind(of: ancestor) {
                guard kind == .directory else {
                    throw InputError(description: "\(option) \(path): \(ancestor) \(kind.described), so no directory can be made under it")
                }
                return try writable(directory: ancestor, option: option, for: path)
            }
            if ancestor == "." || ancestor == "/" { return }
        }
    }
}
