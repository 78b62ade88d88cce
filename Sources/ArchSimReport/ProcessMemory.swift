// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// This process's memory, as Linux reports it.
public enum ProcessMemory {
    /// Peak resident memory so far (VmHWM), MB; 0 where unknown.
    public static func peakResidentMB() -> Double { status("VmHWM:") }

    /// Resident memory now (VmRSS), MB; 0 where unknown.
    public static func residentMB() -> Double { status("VmRSS:") }

    static func status(_ field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
        }
        return 0
    }
}
