// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimKernel
import Foundation

/// Percentiles of a sample of durations.
public enum Percentile {
    /// The `p`-quantile (0–1) of `values` by the nearest-rank rule; 0 for an empty sample. O(n log n).
    public static func of(_ values: [Int64], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
        return Double(sorted[rank])
    }
}

extension Backend {
    /// Fills the product cache (and SQLite's page caches) the way the workload will: `draws`
    /// Zipf-popular product reads made in-process, not over HTTP. So a short run starts near
    /// its steady hit ratio instead of cold.
    public func warmCache(_ workload: ShopWorkload, draws: Int, seed: UInt64) async throws {
        let streams = RandomStreams(seed: seed)
        let stream = streams.stream("load.warm")
        let zipf = ZipfSampler(count: workload.catalogue.products, s: workload.productZipf)
        let ids = (0..<draws).map { _ in Int64(zipf.sample(stream) + 1) }
        for id in ids { _ = try? await shop.product(id: id) }
        shop.cache.resetCounters()
    }
}
