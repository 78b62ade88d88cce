// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import Foundation

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Operational analysis without simulating: demands, utilisations, the bottleneck, the saturation rate and bounds.",
        discussion: """
        From the checked scenario alone, in well under a second: each station's service demand per \
        request (visits × mean service time, from the mix, the routes and the programs; cache and \
        buffer-pool hit ratios by Che's approximation), its utilisation at the workload's rate (the \
        peak of a profile), the bottleneck, the saturation rate X* = min servers/demand, asymptotic \
        bounds, and a mean-response estimate — exact where the model is product form (Jackson/BCMP \
        with Poisson arrivals; MVA for closed users), approximate otherwise, with the conditions \
        that fail. With --out, writes DIR/analysis.csv (one row per station) and DIR/bounds.csv.
        """)

    @Argument(help: "The scenario YAML file.")
    var file: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Directory for analysis.csv and bounds.csv (default: print only).", valueName: "dir"))
    var out: String?

    func run() throws {
        let scenario = try loadScenario(file)
        if let out { try OutputPath.directory(out, option: "--out") }
        let analysis = OperationalAnalysis(scenario)
        if let out {
            try OutputPath.writing(out) {
                try ResultFiles.write(files: [("analysis.csv", Self.stationTable(analysis).text),
                                              ("bounds.csv", Self.boundsTable(analysis).text)], to: out)
            }
        }
        print(Self.terminal(analysis), terminator: "")
        if let out { print("wrote \(out)/analysis.csv, bounds.csv") }
    }

    // MARK: Files

    static func stationTable(_ a: OperationalAnalysis) -> CSVTable {
        var t = CSVTable(header: ["scenario", "component", "kind", "servers", "visits", "demand_ms", "utilization",
                                  "saturation_rps", "bottleneck", "holding", "product_form", "note"])
        for (i, s) in a.stations.enumerated() {
            t.append([a.scenario, s.name, s.kind.rawValue, String(s.servers), CSVNumber.format(s.visits),
                      CSVNumber.format(s.demand * 1e3), CSVNumber.format(s.utilization(at: a.rate)),
                      CSVNumber.format(s.saturationRate, decimals: 3), i == a.bottleneck ? "1" : "0",
                      s.holding ? "1" : "0", s.productForm ? "1" : "0", s.note])
        }
        return t
    }

    static func boundsTable(_ a: OperationalAnalysis) -> CSVTable {
        var t = CSVTable(header: ["scenario", "workload", "rate_rps", "users", "think_ms", "bottleneck", "saturation_rps",
                                  "throughput_bound_rps", "min_response_ms", "response_bound_ms", "demand_ms", "response_ms",
                                  "estimate"])
        t.append([a.scenario, a.closed == nil ? "open" : "closed", CSVNumber.format(a.rate, decimals: 3),
                  a.closed.map { String($0.users) } ?? "", a.closed.map { CSVNumber.format($0.think * 1e3) } ?? "",
                  a.bottleneck.map { a.stations[$0].name } ?? "", CSVNumber.format(a.saturationRate, decimals: 3),
                  CSVNumber.format(a.throughputBound, decimals: 3), CSVNumber.format(a.minimumResponse * 1e3),
                  CSVNumber.format(a.responseBound * 1e3), CSVNumber.format(a.totalDemand * 1e3),
                  a.response.isFinite ? CSVNumber.format(a.response * 1e3) : "", estimateKind(a)])
        return t
    }

    static func estimateKind(_ a: OperationalAnalysis) -> String {
        !a.response.isFinite ? "saturated" : a.exact ? "exact" : "approximate"
    }

    // MARK: Terminal

    static func number(_ x: Double, _ decimals: Int = 1) -> String {
        x.isFinite ? String(format: "%.\(decimals)f", x) : "inf"
    }

    static func terminal(_ a: OperationalAnalysis) -> String {
        var out = ""
        if let closed = a.closed {
            out += "\(a.scenario): operational analysis, closed: \(closed.users) users, think \(number(closed.think * 1e3, 3)) ms\n\n"
        } else {
            out += "\(a.scenario): operational analysis at \(number(a.rate)) requests/s (open\(a.profile ? ", the peak of its profile" : ""))\n\n"
        }
        var t = TerminalTable(header: ["component", "kind", "servers", "visits", "demand ms", "util", "saturation req/s", ""])
        for (i, s) in a.stations.enumerated() {
            var notes: [String] = []
            if i == a.bottleneck { notes.append("<- bottleneck") }
            if s.holding { notes.append("holds others") }
            if !s.note.isEmpty { notes.append(s.note) }
            t.append([s.name, s.kind.rawValue, String(s.servers), s.kind == .host ? "-" : number(s.visits, 3),
                      number(s.demand * 1e3, 3), number(s.utilization(at: a.rate), 3), number(s.saturationRate),
                      notes.joined(separator: "; ")])
        }
        out += a.stations.isEmpty ? "no station: every request is pure delay\n" : t.text
        out += "\n"
        if !a.hitRatios.isEmpty {
            out += "hit ratios (Che's approximation): "
                + a.hitRatios.map { "\($0.component) \(number($0.ratio, 3))" }.joined(separator: ", ") + "\n"
        }
        if let b = a.bottleneck {
            let s = a.stations[b]
            out += "bottleneck: \(s.name) (\(s.kind.rawValue), \(s.servers) server\(s.servers == 1 ? "" : "s")): "
                + "saturation rate X* = \(number(a.saturationRate)) requests/s\n"
        }
        for s in a.stations where !s.limitsRequests && s.saturationRate < a.saturationRate {
            out += "replication: past \(number(s.saturationRate)) requests/s \(s.name) cannot keep up: the replica falls behind "
                + "(its lag grows without bound)\n"
        }
        out += "minimum response R0 = \(number(a.minimumResponse * 1e3, 3)) ms (no contention); "
            + "demand at queues that hold nothing else D = \(number(a.totalDemand * 1e3, 3)) ms\n"
        if let closed = a.closed {
            out += "bounds: X(N) <= min(N/(R0+Z), X*) = \(number(a.throughputBound)) requests/s; "
                + "R(N) >= max(R0, N/X* - Z) = \(number(a.responseBound * 1e3, 3)) ms; N* = \(number(a.saturationUsers ?? 0)) users\n"
            out += "estimate (MVA): throughput \(number(a.rate)) requests/s, mean response "
                + (a.response.isFinite ? "\(number(a.response * 1e3, 3)) ms" : "inf") + " (think \(number(closed.think * 1e3, 3)) ms excluded)"
        } else {
            out += "bounds: throughput <= \(number(a.saturationRate)) requests/s; mean response >= \(number(a.minimumResponse * 1e3, 3)) ms\n"
            if let b = a.bottleneck, a.stations[b].utilization(at: a.rate) >= 1 {
                out += "at \(number(a.rate)) requests/s: \(a.stations[b].name) is \(number(a.stations[b].utilization(at: a.rate), 2))x "
                    + "its capacity: no steady state (saturated)\n"
                out += "mean response estimate: none (saturated)"
            } else {
                out += "mean response estimate at \(number(a.rate)) requests/s: "
                    + (a.response.isFinite ? "\(number(a.response * 1e3, 3)) ms" : "none (a station saturates)")
            }
        }
        out += a.exact ? " — exact (product form)\n" : " — approximate, not product form:\n"
        for check in a.checks where !check.holds {
            out += "  - not: \(check.text)" + (check.detail.isEmpty ? "" : " (\(check.detail))") + "\n"
        }
        let behind = a.stations.filter { $0.reserved > 0 }.map(\.name)
        out += behind.isEmpty
            ? "the saturation rate and the bounds hold either way (held stations' demands counted without contention)\n"
            : "the saturation rate and the bounds hold either way (held stations' demands counted without contention), except "
              + "that the connections apply workers keep at \(behind.joined(separator: ", ")) are estimated (they fall behind)\n"
        return out
    }

    // MARK: compare --capacity

    /// Simulated capacity beside the analytic saturation rate (X*, or N* for closed users) and
    /// their ratio, for `compare --capacity`.
    static func capacityTable(_ found: [CapacitySearch.Result], _ analyses: [OperationalAnalysis]) -> CSVTable {
        var t = CSVTable(header: ["scenario", "capacity_rps", "saturation_rps", "ratio", "bottleneck", "unit"])
        for (r, a) in zip(found, analyses) {
            let analytic = r.closed ? (a.saturationUsers ?? .infinity) : a.saturationRate
            t.append([r.scenario, CSVNumber.format(r.capacity, decimals: 3), CSVNumber.format(analytic, decimals: 3),
                      CSVNumber.format(r.capacity / analytic, decimals: 4), a.bottleneck.map { a.stations[$0].name } ?? "",
                      r.closed ? "users" : "requests_per_s"])
        }
        return t
    }

    static func capacityTerminal(_ table: CSVTable) -> String {
        var t = TerminalTable(header: ["scenario", "capacity", "analytic X*", "ratio", "bottleneck", "unit"])
        for row in table.rows { t.append(row) }
        return "simulated capacity against the saturation rate of `archsim analyze` (X* bounds the throughput served, "
            + "so the ratio is at most 1 up to the share of errors the objectives allow):\n" + t.text
    }
}
