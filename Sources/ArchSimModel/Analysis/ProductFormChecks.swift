// SPDX-License-Identifier: GPL-3.0-or-later

/// The conditions under which the response estimate is exact: a product-form network (Jackson
/// 1963; Baskett, Chandy, Muntz and Palacios 1975 — BCMP) fed by Poisson arrivals, or closed
/// users analysed by exact MVA. Each check that fails names what breaks it; the estimate is then
/// approximate, and only the saturation rate and the bounds stand.
enum ProductFormChecks {
    static func checks(_ scenario: Scenario, stations: [AnalysisStation], flows: Flows) -> [OperationalAnalysis.Check] {
        let arch = scenario.architecture
        var checks: [OperationalAnalysis.Check] = []
        func check(_ holds: Bool, _ text: String, _ detail: [String] = []) {
            let shown = detail.prefix(3).joined(separator: ", ") + (detail.count > 3 ? ", …" : "")
            checks.append(.init(holds: holds, text: text, detail: holds ? "" : shown))
        }
        let visited = arch.services.indices.filter { flows.visits[$0].reduce(0, +) > 0 }

        switch scenario.workload.arrivals {
        case .open(let process, let rate):
            var constant = true
            if case .profile = rate { constant = false }
            check(process == .poisson && constant, "Poisson arrivals at a constant rate",
                  [process == .poisson ? "" : "constant inter-arrival times", constant ? "" : "a rate profile (analysed at its peak)"].filter { !$0.isEmpty })
        case .closed:
            let single = stations.filter { !$0.holding && $0.limitsRequests && $0.servers > 1 }.map(\.name)
            check(single.isEmpty, "single-server stations (MVA is exact; multi-server ones by Seidmann's approximation)", single)
        }
        check(stations.allSatisfy { !$0.holding },
              "no station held while another serves (blocking calls, shared cores under workers, connections held through disk reads or commits, client pools, row locks, replicated applies)",
              stations.filter(\.holding).map(\.name))
        check(stations.allSatisfy { $0.holding || $0.productForm },
              "queues serve exponential times of one mean (processor sharing and delays take any)",
              stations.filter { !$0.holding && !$0.productForm }.map(\.name))
        check(!flows.forks, "no fork-join (parallel steps)", ["parallel"])
        var bounded: [String] = arch.services.filter { $0.queueCapacity != nil }.map { "\($0.name) queue" }
        for db in arch.databases {
            if db.primary.maxConnections != nil { bounded.append("\(db.name).primary max_connections") }
            if db.replicaCount > 0 && db.replica.maxConnections != nil { bounded.append("\(db.name).replica max_connections") }
        }
        check(bounded.isEmpty, "no bounded queues or connection limits", bounded)
        var limits: [String] = scenario.workload.requestTypes.filter { $0.timeout != nil }.map { "\($0.name) timeout" }
        func calls(_ steps: [Step], _ out: inout [String], _ where_: String) {
            for step in steps {
                switch step {
                case .call(let ref, let policy):
                    if policy.timeout != nil || policy.retries > 0 || policy.circuitBreaker != nil {
                        out.append("\(where_) → \(arch.services[ref.service].name)")
                    }
                case .parallel(let branches): calls(branches, &out, where_)
                case .cacheGet(_, let onMiss): calls(onMiss, &out, where_)
                default: break
                }
            }
        }
        for s in visited { for op in arch.services[s].operations { calls(op.steps, &limits, "\(arch.services[s].name).\(op.name)") } }
        check(limits.isEmpty, "no timeouts, retries or circuit breakers", limits)
        var approximated: [String] = arch.caches.indices.filter { flows.cacheOps[$0] > 0 }.map { arch.caches[$0].name }
        for db in arch.databases where db.primary.bufferPool != nil || (db.replicaCount > 0 && db.replica.bufferPool != nil) {
            approximated.append("\(db.name) buffer pool")
        }
        check(approximated.isEmpty, "no cache or buffer-pool hit ratios (Che's approximation)", approximated)
        var split: [String] = visited.compactMap { s in
            let service = arch.services[s]
            return NetworkModel.instances(service) > 1 && (service.balancer ?? arch.balancer) != .random ? service.name : nil
        }
        for c in arch.caches where c.nodes > 1 && c.service != nil { split.append("\(c.name) nodes") }
        for db in arch.databases {
            if db.shards > 1 { split.append("\(db.name) shards") }
            if db.replicaCount > 1 && db.readsFrom == .replicas && db.replicaBalancer != .random { split.append("\(db.name) replicas") }
        }
        check(split.isEmpty, "load split at random over identical queues (one instance or random balancing; one node, one shard)", split)
        let dynamic = !scenario.faults.isEmpty || arch.services.contains { $0.autoscale != nil }
        check(!dynamic, "no faults or autoscaling", [scenario.faults.isEmpty ? "" : "faults", arch.services.contains { $0.autoscale != nil } ? "autoscale" : ""].filter { !$0.isEmpty })
        return checks
    }
}
