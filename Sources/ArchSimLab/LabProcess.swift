// SPDX-License-Identifier: GPL-3.0-or-later
import CLinuxThreads
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A server process of the lab, started in a session of its own (Ctrl-C in the terminal reaches
/// only `archsim`, which stops the lab itself) in its own working directory (a PostgreSQL server:
/// its data directory, which every process it forks keeps as working directory).
///
/// PostgreSQL makes each child (backends, checkpointer, WAL writer…) a process group and session
/// of its own, rewrites the memory /proc shows as its environment with its process title, and a
/// child outlives a killed postmaster for a moment, reparented: neither process group, nor
/// parent, nor an environment marker finds them all. The working directory does: ``live`` lists
/// the process itself and every process whose working directory is in `directory`, and
/// ``stop(signal:grace:)`` waits for all of them and kills what is left.
///
/// Identity survives the `archsim` process that started it: (pid, start time in clock ticks
/// since boot, from /proc/PID/stat) and the directory, recorded in the lab's state file, so a
/// later `lab down` never signals a recycled pid.
public struct LabProcess: Codable, Sendable, Equatable {
    public var name: String
    public var pid: Int32
    /// Field 22 of /proc/PID/stat when started.
    public var startTime: UInt64
    public var log: String
    /// Its working directory, and that of every process it forks.
    public var directory: String

    /// Starts `arguments[0]` (an absolute path) with `arguments`, as `user` when given (through
    /// setpriv: same pid, lower privileges), stdin from /dev/null, stdout and stderr appended to
    /// `log`, no other descriptor inherited, in a new session, with default signal handling,
    /// working in `directory` (in its parent when it does not exist yet: initdb and
    /// pg_basebackup create it).
    public static func spawn(name: String, arguments: [String], as user: LabUser?, log: String, directory: String,
                             environment: [String: String] = [:]) throws -> LabProcess {
        var argv = arguments
        if let user { argv = user.wrap(argv) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // glibc: POSIX_SPAWN_SETSID 0x80, POSIX_SPAWN_SETSIGDEF 0x04, POSIX_SPAWN_SETSIGMASK 0x08.
        posix_spawnattr_setflags(&attr, Int16(0x80 | 0x04 | 0x08))
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue
        let chdirFailed = archsim_spawn_addchdir(&actions, exists ? directory : (directory as NSString).deletingLastPathComponent)
        guard chdirFailed == 0 else { throw LabError("cannot start \(name) in \(directory): \(String(cString: strerror(chdirFailed)))") }
        // Nothing else of ours is inherited: a server holding, say, the write end of the pipe
        // archsim's caller reads would keep that reader waiting for an end of file until it stops.
        // (glibc < 2.34 lacks it: ENOSYS, and descriptors are inherited as before.)
        let closeFailed = archsim_spawn_addclosefrom(&actions, 3)
        guard closeFailed == 0 || closeFailed == ENOSYS else { throw LabError("cannot start \(name): \(String(cString: strerror(closeFailed)))") }

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envp: [UnsafeMutablePointer<CChar>?] = env.keys.sorted().map { strdup("\($0)=\(env[$0]!)") } + [nil]
        let cargv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in envp { free(p) }; for p in cargv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cargv, envp)
        guard rc == 0 else {
            throw LabError("cannot start \(name) (\(argv[0])): \(String(cString: strerror(rc)))")
        }
        let start = ProcessTable.entry(pid)?.startTime ?? 0
        return LabProcess(name: name, pid: pid, startTime: start, log: log, directory: (directory as NSString).standardizingPath)
    }

    /// The process is this one (not a recycled pid) and has not exited (zombies count as exited).
    public var isRunning: Bool {
        guard let e = ProcessTable.entry(pid), e.state != "Z" else { return false }
        return startTime == 0 || e.startTime == startTime
    }

    /// Live processes of the server: itself and everything working in its directory.
    public var live: [Int32] {
        let inside = ProcessTable.working(in: directory)
        return isRunning && !inside.contains(pid) ? ([pid] + inside).sorted() : inside
    }

    /// Asks the server to stop with `signal` (PostgreSQL: SIGINT is its fast shutdown), waits up
    /// to `grace` seconds for it and every process it forked to exit, then kills what is left
    /// with SIGKILL and waits again. Returns the pids still alive after that (normally none).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, grace: Double = 15) -> [Int32] {
        if isRunning { kill(pid, signal) }
        if waitForExit(seconds: grace) { return [] }
        for p in live { kill(p, SIGKILL) }
        _ = waitForExit(seconds: 5)
        return live
    }

    /// Polls until no process of the server is alive; reaps our own child.
    public func waitForExit(seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        repeat {
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)   // reap if it is our child; harmless otherwise
            if live.isEmpty { return true }
            usleep(20_000)
        } while Date() < end
        return false
    }

    /// Polls `ready` every `interval` until it says yes. When the process exits first, or
    /// `timeout` passes, stops it (with `stopSignal`) and throws, naming `what` and quoting its
    /// log's last lines.
    public func waitUntilReady(_ what: String, timeout: Double, interval: Duration = .milliseconds(50), stopSignal: Int32 = SIGTERM,
                               ready: () async -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if !isRunning {
                stop(signal: stopSignal)
                throw LabError("\(what) exited while starting:\n\(logTail())")
            }
            if await ready() { return }
            if Date() > deadline {
                stop(signal: stopSignal)
                throw LabError("\(what) did not answer within \(Int(timeout)) s:\n\(logTail())")
            }
            try await Task.sleep(for: interval)
        }
    }

    /// Waits up to `seconds` for our own child to exit; its exit status (0: success), or nil
    /// when it is still running or was killed by a signal.
    public func exitStatus(within seconds: Double) -> Int32? {
        let end = Date().addingTimeInterval(seconds)
        repeat {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : nil   // WIFEXITED, WEXITSTATUS
            }
            usleep(10_000)
        } while Date() < end
        return nil
    }

    /// The last `lines` lines of the log (for error messages).
    public func logTail(lines: Int = 12) -> String {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// The unprivileged user the lab's servers run as: PostgreSQL refuses to run as root, so when
/// `archsim` runs as root the servers run as the `postgres` user (created by Debian's package).
public struct LabUser: Sendable, Equatable {
    public var name: String
    public var uid: uid_t
    public var gid: gid_t

    /// nil when not root (the servers run as the current user).
    public static func forServers() throws -> LabUser? {
        guard getuid() == 0 else { return nil }
        guard let pw = getpwnam("postgres") else {
            throw LabError("archsim runs as root and PostgreSQL refuses to; the `postgres` user, which Debian's postgresql package creates, is missing (apt-get install -y postgresql)")
        }
        return LabUser(name: "postgres", uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid)
    }

    func wrap(_ argv: [String]) -> [String] {
        ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--"] + argv
    }

    /// Gives `path` (and everything under it) to the user.
    func own(_ path: String) throws {
        func chownOne(_ p: String) throws {
            guard lchown(p, uid, gid) == 0 else { throw LabError("cannot give \(p) to \(name): \(String(cString: strerror(errno)))") }
        }
        try chownOne(path)
        if let e = FileManager.default.enumerator(atPath: path) {
            while let rel = e.nextObject() as? String { try chownOne(path + "/" + rel) }
        }
    }
}

/// What /proc says about processes (Linux).
public enum ProcessTable {
    public struct Entry: Sendable { public var pid: Int32; public var state: Character; public var group: Int32; public var startTime: UInt64 }

    /// /proc/PID/stat, parsed after the command name (which may hold spaces and parentheses).
    public static func entry(_ pid: Int32) -> Entry? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] = state (field 3), [2] = pgrp (field 5), [19] = starttime (field 22)
        guard fields.count > 19, let state = fields[0].first, let group = Int32(fields[2]),
              let start = UInt64(fields[19]) else { return nil }
        return Entry(pid: pid, state: state, group: group, startTime: start)
    }

    /// Pids of live (not zombie) processes whose working directory is `directory` or below it,
    /// ascending. Reads /proc/PID/cwd: every process's when root, our own otherwise (the lab's
    /// servers then run as us).
    public static func working(in directory: String) -> [Int32] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap(Int32.init).sorted().filter { pid in
            guard var cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            if cwd.hasSuffix(" (deleted)") { cwd.removeLast(" (deleted)".count) }
            guard cwd == directory || cwd.hasPrefix(directory + "/") else { return false }
            return entry(pid).map { $0.state != "Z" } ?? false
        }
    }
}

/// A lab problem for the user: printed as one sentence, exit status 2 from the command line.
public struct LabError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
