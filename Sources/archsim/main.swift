// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Foundation

// Bad input — a scenario problem or a command-line mistake — exits with status 2 after a clear
// message; --help and --version exit 0; anything else is an internal error (status 1).
do {
    var command = try ArchSimCommand.parseAsRoot()
    try command.run()
} catch let problem as InputError {
    FileHandle.standardError.write(Data((problem.description + "\n").utf8))
    exit(2)
} catch {
    if ArchSimCommand.exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write(Data((ArchSimCommand.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    ArchSimCommand.exit(withError: error)
}
