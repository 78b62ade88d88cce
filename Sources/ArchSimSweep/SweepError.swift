// SPDX-License-Identifier: GPL-3.0-or-later

/// Why a sweep could not be run, resumed or merged: one or more sentences for the user, each
/// naming the file or directory at fault. The command line prints it and exits with status 2.
public struct SweepError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
