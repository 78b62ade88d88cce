// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// The article's 2/8-rule figures.
final class EstimateTests: XCTestCase {
    let article = TrafficEstimate(users: 10_000_000, activeShare: 0.2, actionsPerUser: 30, busyShare: 0.8,
                                  busyHours: 5, peakFactor: 3)

    func testArticleFigures() {
        XCTAssertEqual(article.activeUsers, 2_000_000)
        XCTAssertEqual(article.dailyRequests, 60_000_000)
        XCTAssertEqual(article.busyRate, 2666.67, accuracy: 0.01)     // "~2 667 requests per second"
        XCTAssertEqual(article.peakRate, 8000, accuracy: 0.01)         // "roughly 8 000 RPS"
    }

    /// The day profile integrates to the day's requests, the busy hours to their share, and
    /// peaks at the peak rate.
    func testDayProfileKeepsVolumes() {
        let points = article.dayProfile()
        func integral(_ from: Double, _ to: Double) -> Double {
            var total = 0.0
            for (a, b) in zip(points, points.dropFirst()) {
                let t0 = max(Double(a.at) / 1e9, from), t1 = min(Double(b.at) / 1e9, to)
                guard t1 > t0 else { continue }
                func rate(_ t: Double) -> Double {
                    a.perSecond + (b.perSecond - a.perSecond) * (t - Double(a.at) / 1e9) / (Double(b.at - a.at) / 1e9)
                }
                total += (rate(t0) + rate(t1)) / 2 * (t1 - t0)
            }
            return total
        }
        XCTAssertEqual(integral(0, 86_400), 60_000_000, accuracy: 60_000_000 * 1e-6)
        XCTAssertEqual(integral(17.5 * 3600, 22.5 * 3600), 48_000_000, accuracy: 48_000_000 * 1e-6)
        XCTAssertEqual(points.map(\.perSecond).max()!, 8000, accuracy: 1e-9)
    }
}
