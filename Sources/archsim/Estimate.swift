// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import Foundation

struct Estimate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Estimate traffic with the 2/8 rule: daily requests, busy-hour average and peak requests per second.",
        discussion: """
        The article's example: archsim estimate --users 10M --active 20% --actions 30 --busy-share 80% \
        --busy-hours 5 --peak-factor 3 gives 60 M requests a day, about 2,667 requests/s on average in \
        the busy hours and about 8,000 at peak. With --write-profile FILE it writes a workload whose \
        arrivals follow that day (a piecewise-linear profile over 24 simulated hours).
        """)

    @Option(help: "Registered users (accepts k, M, G suffixes).") var users: String = "10M"
    @Option(help: "Share of users active in a day (20% or 0.2).") var active: String = "20%"
    @Option(help: "Requests per active user per day.") var actions: Double = 30
    @Option(name: .customLong("busy-share"), help: "Share of the day's requests in the busy hours.") var busyShare: String = "80%"
    @Option(name: .customLong("busy-hours"), help: "Length of the busy period, hours.") var busyHours: Double = 5
    @Option(name: .customLong("peak-factor"), help: "Peak over the busy-hour average (2–3 in the article).") var peakFactor: Double = 3
    @Option(name: .customLong("write-profile"), help: ArgumentHelp("Write a workload YAML with the day's rate profile.", valueName: "file"))
    var writeProfile: String?

    func estimate() throws -> TrafficEstimate {
        let e = TrafficEstimate(users: try Self.count(users, "--users"), activeShare: try Self.share(active, "--active"),
                                actionsPerUser: actions, busyShare: try Self.share(busyShare, "--busy-share"),
                                busyHours: busyHours, peakFactor: peakFactor)
        guard actions > 0 && actions <= Self.maximumActions else {
            throw InputError(description: "--actions: expected a positive number of at most \(CSVNumber.format(Self.maximumActions)), got \(actions)")
        }
        guard busyHours > 0.5 && busyHours < 24 else { throw InputError(description: "--busy-hours: expected more than 0.5 and less than 24, got \(busyHours)") }
        guard peakFactor >= 1 && peakFactor <= Self.maximumPeakFactor else {
            throw InputError(description: "--peak-factor: expected at least 1 and at most \(CSVNumber.format(Self.maximumPeakFactor)), got \(peakFactor)")
        }
        // The bounds above keep every figure finite; this states it rather than trusting it.
        let figures = [e.activeUsers, e.dailyRequests, e.busyRequests, e.busyRate, e.peakRate, e.quietRate]
        guard figures.allSatisfy(\.isFinite) else {
            throw InputError(description: "these options give a traffic estimate that is not a finite number; use smaller values")
        }
        return e
    }

    /// Bounds that keep every figure finite and a written profile readable by `check`.
    static let maximumUsers = 1e11
    static let maximumActions = 1e6
    static let maximumPeakFactor = 1000.0

    func run() throws {
        let e = try estimate()
        if let path = writeProfile {
            try OutputPath.file(path, option: "--write-profile")
            guard e.peakRate <= Limits.maximumRate else {
                throw InputError(description: "--write-profile: the peak of \(CSVNumber.format(e.peakRate, decimals: 1)) requests/s is above "
                                 + "the \(CSVNumber.format(Limits.maximumRate)) requests/s a scenario may give")
            }
        }
        func n(_ x: Double) -> String { String(format: "%.0f", x) }
        print("""
        users                    \(n(e.users))
        active users             \(n(e.activeUsers))   (\(n(e.activeShare * 100))% of users)
        requests per day         \(n(e.dailyRequests))   (\(n(e.actionsPerUser)) per active user)
        in the busy hours        \(n(e.busyRequests))   (\(n(e.busyShare * 100))% in \(CSVNumber.format(e.busyHours, decimals: 2)) h)
        busy-hour average        \(String(format: "%.1f", e.busyRate)) requests/s
        peak                     \(String(format: "%.1f", e.peakRate)) requests/s   (×\(CSVNumber.format(e.peakFactor, decimals: 2)))
        quiet-hour average       \(String(format: "%.1f", e.quietRate)) requests/s
        """)
        if let path = writeProfile {
            var yaml = """
            # A day of traffic by the 2/8 rule, written by `archsim estimate`: \(n(e.users)) users, \
            \(n(e.activeShare * 100))% active, \(n(e.actionsPerUser)) requests each, \(n(e.busyShare * 100))% of them \
            in \(CSVNumber.format(e.busyHours, decimals: 2)) busy hours centred on 20:00 (assumption), peak ×\(CSVNumber.format(e.peakFactor, decimals: 2)).
            # Times are simulated time from midnight. Replace `requests:` with your own mix.
            arrivals:
              kind: open
              process: poisson
              profile:

            """
            for p in e.dayProfile() {
                yaml += "    - {at: \(CSVNumber.format(Double(p.at) / 60e9, decimals: 3))m, rate: \(CSVNumber.format(p.perSecond, decimals: 3))/s}\n"
            }
            yaml += "requests:\n  request: {weight: 1}\n"
            try OutputPath.writing(path) { try AtomicFile.write(yaml, to: path) }
            print("wrote \(path)")
        }
    }

    static func count(_ text: String, _ option: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let scales: [(String, Double)] = [("k", 1e3), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("B", 1e9)]
        var value: Double?
        for (suffix, scale) in scales where t.hasSuffix(suffix) {
            if let v = Double(t.dropLast()) { value = v * scale }
        }
        if value == nil { value = Double(t) }
        // Double("inf"), Double("nan") and Double("1e400") read; none is a count of users.
        if let v = value, v.isFinite, v > 0, v <= maximumUsers { return v }
        throw InputError(description: "\(option): expected a positive number of at most 100G like 10M, 250k or 5000, got \(text)")
    }

    static func share(_ text: String, _ option: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let v = t.hasSuffix("%") ? Double(t.dropLast()).map { $0 / 100 } : Double(t)
        guard let v, v.isFinite, v > 0, v <= 1 else {
            throw InputError(description: "\(option): expected a share in (0, 1] like 20% or 0.2, got \(text)")
        }
        return v
    }
}
