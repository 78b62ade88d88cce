// SPDX-License-Identifier: GPL-3.0-or-later

/// The largest values a scenario (or a command-line option) may give, so that a checked
/// scenario can run: its times fit the engine's whole-nanosecond clock (`Int64`, up to about
/// 2.56 × 10⁶ h) with room for one more sample, and its counts fit the engine's tables and the
/// machine's memory. Each bound is stated in the message that refuses a value past it.
public enum Limits {
    /// Any duration, and duration + warm-up together: 10⁶ hours, in ns. Distribution samples
    /// are clamped to it as well (see `Distribution.sample`), so `clock + sample` never
    /// overflows.
    public static let duration: Double = 3.6e18
    /// How the duration bound is written in messages.
    public static let durationText = "1000000h"
    /// Timeseries windows per replication (each is a row kept in memory and written out).
    public static let windows = 1_000_000
    /// Arrival rates, per second: at most 10⁷/s (twice the largest bundled scenario's; an
    /// overloaded model keeps every waiting request in memory, so the bound also limits how
    /// fast a short run can fill it), and a positive rate at least one per 10⁶ h (so that the
    /// time between arrivals is a duration the clock can hold).
    public static let maximumRate: Double = 1e7
    public static let minimumRate: Double = 1e9 / duration
    /// Counts, with the reason for each bound.
    public static let replications = 10_000
    public static let instances = 100_000
    public static let workers = 1_000_000
    public static let cores = 100_000
    /// A bounded queue's length (the engine counts it in 32 bits).
    public static let queue = Int(Int32.max)
    public static let users = 1_000_000
    public static let connections = 1_000_000
    public static let replicas = 1_000
    /// Shards of one database (each a primary and its replicas).
    public static let shards = 10_000
    /// Shards of all databases together (a shard's replica set is numbered in 16 bits).
    public static let totalShards = 65_535
    public static let cacheNodes = 10_000
    /// Entries of a cache, all nodes together: below 2³¹ (the cache's slot table is 32-bit).
    public static let cacheCapacity = Int(Int32.max)
    /// Keys of a uniform key space: below 2³² (drawn with a 32-bit uniform index).
    public static let uniformKeys = Int(UInt32.max)
    /// Keys of a Zipf key space: below 2⁴⁰ (a key id has 40 bits).
    public static let zipfKeys = (1 << 40) - 1
    /// Zipf exponent s.
    public static let zipfExponent: Double = 100
    public static let retries = 1_000
    public static let thresholdCount = 1_000_000_000
    /// Request weights and histogram weights, each (so that their sum stays finite).
    public static let weight: Double = 1e15
    /// A `cost:` per hour (any currency).
    public static let cost: Double = 1e12
    /// Shape parameters of gamma, Weibull and Pareto (finite; samples past ``duration`` are
    /// clamped).
    public static let shape: Double = 1e15
    /// A `slow` fault's factor.
    public static let slowFactor: Double = 1e6
    /// Nodes a YAML document may hold once its aliases are expanded, beyond its own size in
    /// bytes (an alias-free document never reaches it: a node takes at least a byte).
    public static let expandedNodes = 1_000_000
    /// Characters of a value or a line quoted in a message.
    public static let excerpt = 60

    /// `1000000` -> `1,000,000`: a bound as people read it.
    static func format(_ n: Int) -> String {
        var digits = Array(String(n)), out = ""
        while digits.count > 3 {
            out = "," + String(digits.suffix(3)) + out
            digits.removeLast(3)
        }
        return String(digits) + out
    }
}

/// `'text'`, cut to ``Limits/excerpt`` characters with `…` when longer: how messages quote
/// what the user wrote, so one huge value or line does not flood the terminal.
func excerpt(_ text: String) -> String {
    guard text.count > Limits.excerpt else { return text }
    return String(text.prefix(Limits.excerpt - 1)) + "…"
}

func quoted(_ text: String) -> String { "'" + excerpt(text) + "'" }
