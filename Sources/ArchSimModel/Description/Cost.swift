// SPDX-License-Identifier: GPL-3.0-or-later

/// What an architecture costs to run, per hour (`cost:` keys, any one currency): each host's
/// machines (per machine, plus per core), covering everything placed on them; service instances,
/// cache nodes and database servers not on a host, each at its own `cost`. Parts without a cost
/// count 0.
extension Architecture {
    /// Whether any part has a cost (only then is `cost_per_h` reported, so older results keep
    /// their bytes).
    public var hasCost: Bool {
        hosts.contains { $0.cost != nil || $0.costPerCore != nil } || services.contains { $0.cost != nil }
            || caches.contains { $0.cost != nil }
            || databases.contains { $0.primary.cost != nil || $0.replica.cost != nil }
    }

    /// The cost per hour with `instances(s)` instances of service s (its configured count, or an
    /// autoscaled service's mean).
    public func costPerHour(instances: (Int) -> Double) -> Double {
        var total = 0.0
        for host in hosts {
            total += Double(host.count) * ((host.cost ?? 0) + Double(host.cores) * (host.costPerCore ?? 0))
        }
        for (s, service) in services.enumerated() where service.host == nil {
            total += instances(s) * (service.cost ?? 0)
        }
        for cache in caches { total += Double(cache.nodes) * (cache.cost ?? 0) }
        for db in databases {
            if db.primary.host == nil { total += Double(db.shards) * (db.primary.cost ?? 0) }
            if db.replica.host == nil { total += Double(db.shards * db.replicaCount) * (db.replica.cost ?? 0) }
        }
        return total
    }

    /// The cost per hour at the configured instance counts.
    public var costPerHour: Double { costPerHour { Double(services[$0].instances) } }
}

extension ReplicationResult {
    /// The architecture's cost per hour in this replication: an autoscaled service at its mean
    /// instances after the warm-up.
    public func costPerHour(_ architecture: Architecture) -> Double {
        architecture.costPerHour { s in
            architecture.services[s].autoscale == nil ? Double(architecture.services[s].instances) : services[s].meanInstances
        }
    }
}
