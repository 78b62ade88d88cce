// SPDX-License-Identifier: GPL-3.0-or-later

/// The article's 2/8-rule traffic arithmetic: from registered users to average and peak
/// requests per second.
///
/// daily actions = users × active share × actions per active user; the busy share of them
/// (80%) falls in the busy hours (the busiest 20% of the day, ≈5 h), giving the average busy
/// rate; the peak is that times the peak factor (2–3). With the article's figures — 10 M users,
/// 20% active, 30 actions, 80% in 5 h, ×3 — that is 60 M actions, ≈2,667 requests/s on
/// average in the busy hours, and ≈8,000 at peak.
public struct TrafficEstimate: Sendable, Equatable {
    public var users: Double
    public var activeShare: Double
    public var actionsPerUser: Double
    public var busyShare: Double
    public var busyHours: Double
    public var peakFactor: Double

    public init(users: Double, activeShare: Double, actionsPerUser: Double, busyShare: Double, busyHours: Double,
                peakFactor: Double) {
        self.users = users; self.activeShare = activeShare; self.actionsPerUser = actionsPerUser
        self.busyShare = busyShare; self.busyHours = busyHours; self.peakFactor = peakFactor
    }

    public var activeUsers: Double { users * activeShare }
    public var dailyRequests: Double { activeUsers * actionsPerUser }
    public var busyRequests: Double { dailyRequests * busyShare }
    /// Average requests per second over the busy hours.
    public var busyRate: Double { busyRequests / (busyHours * 3600) }
    /// Average requests per second over the quiet hours (the rest of the day).
    public var quietRate: Double { (dailyRequests - busyRequests) / ((24 - busyHours) * 3600) }
    public var peakRate: Double { busyRate * peakFactor }

    /// A day as a piecewise-linear rate profile (simulated time from midnight): quiet until
    /// the busy hours, which are centred on `busyCentre` (hours, default 20:00 — an evening peak,
    /// an assumption), with a surge to the peak rate in the middle of them. The busy level is set
    /// so that the busy hours hold exactly the busy share of the day's requests, surge included,
    /// and the whole day integrates to the daily requests. The surge lasts `surgeMinutes` at full
    /// height with ramps of the same length either side.
    public func dayProfile(busyCentre: Double = 20, surgeMinutes: Double = 20) -> [RatePoint] {
        let h = 3_600_000_000_000.0
        let start = busyCentre - busyHours / 2, end = busyCentre + busyHours / 2
        let surge = surgeMinutes / 60
        // The busy window's volume, ramps (¼ h each) and surge included, integrates to
        // ¼·quiet + level·(B − ¼ − 2s) + 2s·peak; set it to busyRate·B.
        let level = (busyRate * busyHours - 0.25 * quietRate - 2 * surge * peakRate) / (busyHours - 0.25 - 2 * surge)
        let points: [(Double, Double)] = [
            (0, quietRate), (start, quietRate), (start + 0.25, level),
            (busyCentre - 1.5 * surge, level), (busyCentre - 0.5 * surge, peakRate),
            (busyCentre + 0.5 * surge, peakRate), (busyCentre + 1.5 * surge, level),
            (end - 0.25, level), (end, quietRate), (24, quietRate),
        ]
        return points.map { RatePoint(at: Int64(($0.0 * h).rounded()), perSecond: $0.1) }
    }
}
