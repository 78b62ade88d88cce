// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Foundation

// Bad input — a scenario problem, a command-line mistake, or a path the command cannot write —
// exits with status 2 after a clear message; --help and --version exit 0; anything else is an
// internal error (status 1).
do {
    var command = try ArchSimCommand.parseAsRoot()
    try command.run()
} catch let problem as InputError {
    FileHandle.standardError.write(Data((problem.description + "\n").utf8))
    exit(2)
} catch let error as NSError where error.domain == NSCocoaErrorDomain || error.domain == NSPOSIXErrorDomain {
    // A file-system failure that no command turned into a sentence first (commands check
    // their paths before working; this catches what happens to a path meanwhile).
    let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    // CocoaError's read codes lie below 512 (fileReadUnknown is 256), its write codes from 512 on.
    let verb = error.domain == NSCocoaErrorDomain && error.code < 512 ? "read" : "write"
    FileHandle.standardError.write(Data(("cannot \(verb) \(path ?? "a file"): \(OutputPath.reason(error))\n").utf8))
    exit(2)
} catch {
    if ArchSimCommand.exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write(Data((ArchSimCommand.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    ArchSimCommand.exit(withError: error)
}
