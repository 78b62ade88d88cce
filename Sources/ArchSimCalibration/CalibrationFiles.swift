// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimKernel
import Foundation

/// Writes a calibration: `calibration.json` (measurements and derived constants), `fits.csv`
/// (every candidate distribution of every stage, with AIC), `empirical/*.csv` (the samples, one
/// column of ms), and the scenario — `architecture.yaml`, `workload.yaml`, `scenario.yaml` —
/// that `archsim run` accepts as it is. Each file is written whole (temporary file, rename).
enum CalibrationFiles {
    static func write(summary: Calibration.Summary, stages: [String: Calibration.FittedStage], options: Calibration.Options,
                      lowRate: Double, out: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: out + "/empirical", withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try atomicWrite(String(decoding: try encoder.encode(summary), as: UTF8.self) + "\n", to: out + "/calibration.json")

        var fits = "stage,family,parameters,log_likelihood,aic,delta_aic,chosen,distribution,n,mean_ms,p50_ms,p99_ms\n"
        for name in stages.keys.sorted() {
            let s = stages[name]!
            let sorted = s.samplesMs.sorted()
            func q(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
            let best = s.fits.first?.aic ?? 0
            for f in s.fits {
                fits += "\(name),\(f.family),\(f.parameters),\(fmt(f.logLikelihood)),\(fmt(f.aic)),\(fmt(f.aic - best)),"
                    + "\(f.distribution == s.chosen ? 1 : 0),\"\(f.distribution.scenarioText)\",\(sorted.count),"
                    + "\(fmt(s.meanNs / 1e6)),\(fmt(q(0.5))),\(fmt(q(0.99)))\n"
            }
            try atomicWrite(csvText(s.samplesMs), to: out + "/empirical/\(name).csv")
        }
        try atomicWrite(fits, to: out + "/fits.csv")

        // The distribution a stage contributes to the model, scaled by `factor`: fitted (and
        // scaled analytically) or empirical (a scaled copy of the sample).
        func model(_ name: String, _ factor: Double = 1, suffix: String = "") throws -> String {
            let s = stages[name]!
            if options.fitted { return s.chosen.scaled(by: factor).scenarioText }
            if factor == 1 { return "empirical(\"empirical/\(name).csv\")" }
            let file = "empirical/\(name).\(suffix).csv"
            try atomicWrite(csvText(s.samplesMs.map { $0 * factor }), to: out + "/" + file)
            return "empirical(\"\(file)\")"
        }

        let share = summary.cpuShare
        let splits = share < 0.999
        var a = """
        # Calibrated by `archsim calibrate` against the in-process backend (see calibration.json).
        # Capacity measured: \(String(format: "%.0f", summary.capacityRPS)) req/s on \(summary.cores) cores. Compute and HTTP-hop times are
        # split: \(String(format: "%.3f", share)) of each is CPU work on `cores` (processor sharing), the rest a delay,
        # so that the CPU demand per request is cores / capacity. Database and cache times as measured.
        routes:

        """
        for t in options.workload.requests { a += "  \(t.name): app.\(t.name)\n" }
        a += """
        services:
          app:
            instances: 1
            workers: 100000        # one task per request; nothing bounds them
            cores: \(summary.cores)               # the cores this process may use
            io: async              # waiting on SQLite or the cache frees the task
            operations:

        """
        for t in options.workload.requests {
            a += "      \(t.name):\n"
            a += "        cpu: \(try model("\(t.name).compute", share, suffix: "cpu"))\n"
            a += "        steps:\n"
            if splits { a += "          - delay: \(try model("\(t.name).compute", 1 - share, suffix: "wait"))\n" }
            a += "          - cpu: \(try model("\(t.name).hop", share, suffix: "cpu"))\n"
            if splits { a += "          - delay: \(try model("\(t.name).hop", 1 - share, suffix: "wait"))\n" }
            switch t.name {
            case "view_product":
                a += "          - cache_get: products\n            on_miss:\n              - db_read: shop\n              - cache_set: products\n"
            case "search": a += "          - db_read: shop\n"
            case "login": a += "          - db_read: shop\n          - db_write: shop\n"
            case "add_to_cart", "pay": a += "          - db_write: shop\n"
            case "place_order": a += "          - db_write: shop\n          - cache_delete: products\n"
            default: break
            }
        }
        let replicas = summary.replicas
        a += """
        caches:
          products:
            capacity: \(summary.cacheCapacity)
            eviction: \(summary.cacheEviction)
            latency: \(try model("cache.get"))
        databases:
          shop:
            primary:
              connections: \(replicas > 0 ? 1 : 1 + summary.readerConnections)     # SQLite: one writer\(replicas > 0 ? "" : " + the readers")
              read: \(try model("db.read"))
              write: \(try model("db.write"))

        """
        if replicas > 0 {
            a += """
                replicas:
                  count: \(replicas)
                  connections: \(summary.readerConnections)
                  read: \(try model("db.read"))
                  apply: constant(0ms)   # included in the measured lag
                  apply_workers: 1       # one log applier per replica
                reads_from: replicas
                replication_lag: \(try model("db.replication_lag"))

            """
        }
        try atomicWrite(a, to: out + "/architecture.yaml")

        let w = options.workload
        var wl = """
        # The e-commerce workload the backend was driven with.
        arrivals: {kind: open, process: poisson, rate: \(String(format: "%.3f", lowRate))/s}
        keys:
          products: {count: \(w.catalogue.products), popularity: zipf(s=\(w.productZipf))}
          order_products: {count: \(w.catalogue.products), popularity: uniform}
        requests:

        """
        for t in w.requests {
            let key = ["view_product": ", key: products", "add_to_cart": ", key: products", "place_order": ", key: order_products"][t.name] ?? ""
            wl += "  \(t.name): {weight: \(fmt(t.weight))\(key)}\n"
        }
        try atomicWrite(wl, to: out + "/workload.yaml")

        let sc = """
        version: 1
        name: calibrated-shop
        description: The in-process backend as calibrated by archsim calibrate; validate sets the rate.
        seed: \(summary.seed)
        duration: 60s
        warmup: 30s
        replications: 3
        workload: workload.yaml
        architecture: architecture.yaml

        """
        try atomicWrite(sc, to: out + "/scenario.yaml")
    }

    /// Most values an empirical CSV keeps: a longer sample is thinned by a fixed stride (every
    /// k-th value in measurement order), which keeps its shape and the files small.
    static let maxEmpiricalValues = 20_000

    /// An empirical CSV: the header `ms`, then one value per line (ms, ns precision).
    static func csvText(_ ms: [Double]) -> String {
        let stride = max(1, (ms.count + maxEmpiricalValues - 1) / maxEmpiricalValues)
        var text = "ms\n"
        for i in Swift.stride(from: 0, to: ms.count, by: stride) { text += String(format: "%.6f\n", ms[i]) }
        return text
    }

    static func fmt(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.6g", v)
    }

    static func atomicWrite(_ text: String, to path: String) throws {
        let tmp = path + ".tmp"
        try text.write(toFile: tmp, atomically: false, encoding: .utf8)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    }
}
