// SPDX-License-Identifier: GPL-3.0-or-later

/// How one replication came back after one fault, read off its timeseries windows: the
/// pre-fault band of the window p99 and error rate, the time after the fault's end until both
/// are back inside it to stay, the worst windows on the way, and the retry amplification
/// before, during and after the fault. The rows of faults.csv.
///
/// The rule, in the words of ``RecoveryRule`` (window = the scenario's `window`, 1 s by default):
/// - **Baseline**: the windows lying wholly in the `baselineSpan` (60 s) before the fault's start
///   (fewer if the run started later) in which some request completed. A window's p99 is that of
///   the requests completed in it; its error rate is errors over answers (completed + errors)
///   in it, both counted when the answer comes. With fewer than `minimumBaselineWindows` (5) such
///   windows there is no band, and no recovery time.
/// - **Band**: mean ± `sigmas` (3) sample standard deviations of those windows, for p99 and for
///   the error rate separately; a half-width is at least `p99Floor` (1%) of the mean p99 and
///   `errorRateFloor` (0.001), so that a constant baseline is not a single point.
/// - **Inside**: a window in which some request completed, whose p99 and error rate both lie
///   in the band (a window in which nothing completed is outside: a stall is not a recovery).
/// - **Recovery**: from the fault's end (`at + for`) to the start of the first window starting
///   at or after it from which `settleWindows` (5) consecutive windows are inside. If no such
///   run of windows ends before the run does, it did not recover (nil). A fault without `for`
///   never ends, so it has no recovery.
/// - **Peaks**: the highest window p99 and error rate from the fault's start until the recovery
///   (the run's end if none).
/// - **Amplification**: attempts per request, (arrivals + retries) / arrivals summed over the
///   windows starting in a span: before = the baseline span's windows, during = windows
///   starting in [at, at + for) (to the run's end without `for`), after = windows starting in
///   [at + for, at + for + `afterSpan`) (60 s; none without `for`). `retries` counts every
///   retry made — call retries at every level (those an open circuit breaker refuses at once
///   included) and balancer `retry_failed` — so with one retried call per request it is the
///   attempts per request at that call step, and with several it adds their extra attempts.
///
/// Cost: O(windows) per fault and replication.
public struct FaultRecovery: Sendable, Equatable {
    /// Windows in the baseline with some completion (those the band is made of).
    public var baselineWindows: Int
    /// The pre-fault band; nil with fewer than `minimumBaselineWindows` windows.
    public var band: RecoveryBand?
    /// Time from the fault's end to the start of the first window of the settled run (ns);
    /// nil if it never settled, has no band, or never ended.
    public var recovery: Int64?
    /// The highest window p99 (ns) and error rate from the fault's start until the recovery (or
    /// the run's end); nil when no window there had one.
    public var peakP99: Double?
    public var peakErrorRate: Double?
    /// Attempts per request before, during and after the fault; nil when no request arrived
    /// in that span.
    public var amplificationBefore: Double?
    public var amplificationDuring: Double?
    public var amplificationAfter: Double?

    /// Whether the replication came back inside the band (nil: no band to come back to).
    public var recovered: Bool? { band == nil ? nil : recovery != nil }

    /// - Parameters:
    ///   - windows: a replication's timeseries, in time order, contiguous (`WindowRow.start`).
    ///   - runEnd: the end of the run (ns): the last window ends there.
    ///   - at: the fault's start (ns); `end`: its end (nil: it lasts to the end of the run).
    public init(windows: [WindowRow], runEnd: Int64, at: Int64, end: Int64?, rule: RecoveryRule = .standard) {
        func windowEnd(_ i: Int) -> Int64 { i + 1 < windows.count ? windows[i + 1].start : runEnd }
        let baselineStart = at - rule.baselineSpan
        let baseline = windows.indices.filter { windows[$0].start >= baselineStart && windowEnd($0) <= at }
        let measured = baseline.filter { windows[$0].completed > 0 }
        baselineWindows = measured.count
        band = measured.count >= max(2, rule.minimumBaselineWindows) ? RecoveryBand(measured.map { windows[$0] }, rule: rule) : nil

        let faultEnd = end ?? runEnd
        if let band, end != nil {
            let candidates = windows.indices.filter { windows[$0].start >= faultEnd }
            var streak = 0
            for i in candidates {
                streak = band.contains(windows[i]) ? streak + 1 : 0
                if streak == max(1, rule.settleWindows) {
                    recovery = windows[i - streak + 1].start - faultEnd
                    break
                }
            }
        }

        let disturbedEnd = recovery.map { faultEnd + $0 } ?? runEnd
        let disturbed = windows.filter { $0.start >= at && $0.start < disturbedEnd }
        peakP99 = disturbed.filter { $0.completed > 0 }.map(\.p99).max()
        peakErrorRate = disturbed.compactMap(\.errorRate).max()

        func amplification(_ rows: some Sequence<WindowRow>) -> Double? {
            var arrivals = 0, retries = 0
            for w in rows { arrivals += w.arrivals; retries += w.retries }
            return arrivals == 0 ? nil : Double(arrivals + retries) / Double(arrivals)
        }
        amplificationBefore = amplification(baseline.map { windows[$0] })
        amplificationDuring = amplification(windows.lazy.filter { $0.start >= at && $0.start < faultEnd })
        amplificationAfter = end == nil ? nil
            : amplification(windows.lazy.filter { $0.start >= faultEnd && $0.start < faultEnd + rule.afterSpan })
    }
}

/// One fault's recoveries over a scenario's replications: means over the replications that
/// have a value (the band's numbers over those with a band), how many recovered, and the mean
/// recovery time of those that did.
public struct FaultRecoverySummary: Sendable, Equatable {
    public var replications: Int
    public var baselineWindows: Double
    /// Means of the replications' bands; nil when none has one.
    public var band: RecoveryBand?
    /// Replications that recovered; nil when none has a band.
    public var recovered: Int?
    /// Mean recovery time (ns) of the replications that recovered; nil if none did.
    public var recovery: Double?
    public var peakP99: Double?
    public var peakErrorRate: Double?
    public var amplificationBefore: Double?
    public var amplificationDuring: Double?
    public var amplificationAfter: Double?

    public init(_ recoveries: [FaultRecovery]) {
        func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }
        func mean(_ f: (FaultRecovery) -> Double?) -> Double? { mean(recoveries.compactMap(f)) }
        replications = recoveries.count
        baselineWindows = mean { Double($0.baselineWindows) } ?? 0
        let bands = recoveries.compactMap(\.band)
        if !bands.isEmpty {
            func bandMean(_ f: (RecoveryBand) -> Double) -> Double { mean(bands.map(f))! }
            band = RecoveryBand(p99Mean: bandMean(\.p99Mean), p99SD: bandMean(\.p99SD), errorRateMean: bandMean(\.errorRateMean),
                                errorRateSD: bandMean(\.errorRateSD), p99HalfWidth: bandMean(\.p99HalfWidth),
                                errorRateHalfWidth: bandMean(\.errorRateHalfWidth))
            recovered = recoveries.filter { $0.recovered == true }.count
        }
        recovery = mean { $0.recovery.map(Double.init) }
        peakP99 = mean(\.peakP99)
        peakErrorRate = mean(\.peakErrorRate)
        amplificationBefore = mean(\.amplificationBefore)
        amplificationDuring = mean(\.amplificationDuring)
        amplificationAfter = mean(\.amplificationAfter)
    }
}

/// The numbers of the recovery rule (see ``FaultRecovery``). Times in ns.
public struct RecoveryRule: Sendable, Equatable {
    /// How far before a fault the baseline windows lie.
    public var baselineSpan: Int64 = 60_000_000_000
    /// Fewest baseline windows (with completions) that make a band (at least 2 are used).
    public var minimumBaselineWindows = 5
    /// Standard deviations either side of the baseline mean.
    public var sigmas = 3.0
    /// Least half-width of the p99 band, as a fraction of the baseline mean p99.
    public var p99Floor = 0.01
    /// Least half-width of the error-rate band (a fraction of answers).
    public var errorRateFloor = 0.001
    /// Consecutive windows inside the band that count as recovered.
    public var settleWindows = 5
    /// The span after the fault's end whose amplification is reported.
    public var afterSpan: Int64 = 60_000_000_000

    public static let standard = RecoveryRule()
    public init() {}
}

/// The pre-fault band of the window p99 (ns) and error rate: mean ± half-width.
public struct RecoveryBand: Sendable, Equatable {
    public var p99Mean: Double
    /// Sample standard deviation of the baseline windows' p99 (ns).
    public var p99SD: Double
    public var errorRateMean: Double
    public var errorRateSD: Double
    public var p99HalfWidth: Double
    public var errorRateHalfWidth: Double

    public init(p99Mean: Double, p99SD: Double, errorRateMean: Double, errorRateSD: Double, p99HalfWidth: Double,
                errorRateHalfWidth: Double) {
        self.p99Mean = p99Mean; self.p99SD = p99SD; self.errorRateMean = errorRateMean; self.errorRateSD = errorRateSD
        self.p99HalfWidth = p99HalfWidth; self.errorRateHalfWidth = errorRateHalfWidth
    }

    /// The band of `windows` (each with a completion; at least two).
    init(_ windows: [WindowRow], rule: RecoveryRule) {
        func meanAndSD(_ xs: [Double]) -> (Double, Double) {
            let n = Double(xs.count)
            let mean = xs.reduce(0, +) / n
            let ss = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            return (mean, (ss / (n - 1)).squareRoot())
        }
        (p99Mean, p99SD) = meanAndSD(windows.map(\.p99))
        (errorRateMean, errorRateSD) = meanAndSD(windows.map { $0.errorRate ?? 0 })
        p99HalfWidth = max(rule.sigmas * p99SD, rule.p99Floor * p99Mean)
        errorRateHalfWidth = max(rule.sigmas * errorRateSD, rule.errorRateFloor)
    }

    /// A window is inside when some request completed in it and its p99 and error rate are
    /// both within the band (bounds included).
    public func contains(_ w: WindowRow) -> Bool {
        guard w.completed > 0, let rate = w.errorRate else { return false }
        return abs(w.p99 - p99Mean) <= p99HalfWidth && abs(rate - errorRateMean) <= errorRateHalfWidth
    }
}

extension WindowRow {
    /// Errors over answers (completed + errors) in the window; nil when nothing was answered.
    public var errorRate: Double? {
        let answers = completed + errors
        return answers == 0 ? nil : Double(errors) / Double(answers)
    }
}

extension ScenarioResult {
    /// Per fault (file order), per replication: how it recovered (see ``FaultRecovery``).
    public func faultRecoveries(rule: RecoveryRule = .standard) -> [[FaultRecovery]] {
        let runEnd = scenario.warmup + scenario.duration
        return scenario.faults.map { fault in
            replications.map { rep in
                FaultRecovery(windows: rep.timeseries, runEnd: runEnd, at: fault.at,
                              end: fault.duration.map { fault.at + $0 }, rule: rule)
            }
        }
    }
}

extension Architecture {
    /// A fault target's name as the scenario writes it: `app[0]`, `product_cache[1]`,
    /// `main.primary`, `main[2].replica[0]`, `box[0]`.
    public func name(of target: FaultTarget) -> String {
        switch target {
        case let .serviceInstance(s, n): "\(services[s].name)[\(n)]"
        case let .cacheNode(c, n): "\(caches[c].name)[\(n)]"
        case let .databaseServer(d, shard, server): databases[d].serverName(shard: shard, server: server)
        case let .hostMachine(h, n): "\(hosts[h].name)[\(n)]"
        }
    }
}

extension WindowRow {
    /// A window with the counts the recovery rule reads (the others zero; p50 = p99): for tests
    /// and tools that build a timeseries by hand.
    package init(start: Int64, arrivals: Int, completed: Int, errors: Int, p99: Double, retries: Int = 0) {
        self.init(start: start, arrivals: arrivals, completed: completed, errors: errors, inFlight: 0, p50: p99, p99: p99,
                  timeouts: errors, rejected: 0, failed: 0, retries: retries, breakersOpen: 0)
    }
}
