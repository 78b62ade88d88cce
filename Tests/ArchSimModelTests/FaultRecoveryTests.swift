// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// The recovery rule of faults.csv on timeseries built by hand, where the answer is known: the
/// band, the settled run of windows, stalls, too short a baseline, the floors, amplification.
final class FaultRecoveryTests: XCTestCase {
    static let s: Int64 = 1_000_000_000
    static let ms = 1e6

    /// One window per second from 0 to `seconds`: calm (p99 alternating 10 and 12 ms, 1 error in
    /// 100 answers every fourth window, 100 arrivals) unless `override` says otherwise.
    static func series(seconds: Int, _ override: (Int) -> WindowRow? = { _ in nil }) -> [WindowRow] {
        (0..<seconds).map { t in
            override(t) ?? WindowRow(start: Int64(t) * s, arrivals: 100, completed: t % 4 == 0 ? 99 : 100,
                                     errors: t % 4 == 0 ? 1 : 0, p99: t % 2 == 0 ? 10 * ms : 12 * ms)
        }
    }

    static func storm(_ t: Int) -> WindowRow {
        WindowRow(start: Int64(t) * s, arrivals: 100, completed: 0, errors: 100, p99: 0, retries: 300)
    }

    /// The band is the mean ± 3 sample standard deviations of the 60 windows before the fault.
    func testBandIsMeanAndThreeStandardDeviationsOfTheSixtySecondsBefore() throws {
        let rows = Self.series(seconds: 200)
        let x = FaultRecovery(windows: rows, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s)
        XCTAssertEqual(x.baselineWindows, 60)
        let band = try XCTUnwrap(x.band)
        // p99: 30 windows of 10 ms and 30 of 12 ms: mean 11, sd = sqrt(60 / 59).
        XCTAssertEqual(band.p99Mean, 11 * Self.ms, accuracy: 1e-6)
        XCTAssertEqual(band.p99SD, (60.0 / 59).squareRoot() * Self.ms, accuracy: 1e-6)
        XCTAssertEqual(band.p99HalfWidth, 3 * band.p99SD, accuracy: 1e-6)
        // Error rate: 15 windows of 0.01 (t = 32, 36, …, 88), 45 of 0.
        XCTAssertEqual(band.errorRateMean, 0.0025, accuracy: 1e-12)
        let sd = ((15 * 0.0075 * 0.0075 + 45 * 0.0025 * 0.0025) / 59).squareRoot()
        XCTAssertEqual(band.errorRateSD, sd, accuracy: 1e-12)
        XCTAssertEqual(band.errorRateHalfWidth, 3 * sd, accuracy: 1e-12)
        // Nothing happened: it is inside from the fault's end on.
        XCTAssertEqual(x.recovery, 0)
        XCTAssertEqual(x.recovered, true)
    }

    /// Recovery runs from the fault's end to the start of the first of 5 consecutive windows
    /// inside the band: a calm stretch of 4 windows does not count.
    func testRecoveryIsTheStartOfFiveConsecutiveWindowsInside() {
        let rows = Self.series(seconds: 200) { t in
            switch t {
            case 90..<135, 137, 142: Self.storm(t)
            default: nil   // calm at 135-136, 138-141 (four), and from 143 on
            }
        }
        let x = FaultRecovery(windows: rows, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s)
        XCTAssertEqual(x.recovery, 23 * Self.s, "143 s - 120 s")
        XCTAssertEqual(x.recovered, true)
        XCTAssertEqual(x.peakErrorRate, 1)
        XCTAssertEqual(x.peakP99, 12 * Self.ms, "the storm's windows completed nothing; 136 s and 138-141 s did")
    }

    /// A window's p99 above the band, or its error rate, is outside; both must be inside.
    func testEitherMetricOutsideKeepsItOutside() {
        let slow = Self.series(seconds: 200) { t in
            (120..<150).contains(t) ? WindowRow(start: Int64(t) * Self.s, arrivals: 100, completed: 100, errors: 0, p99: 40 * Self.ms) : nil
        }
        XCTAssertEqual(FaultRecovery(windows: slow, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s).recovery,
                       30 * Self.s)
        let failing = Self.series(seconds: 200) { t in
            (120..<140).contains(t) ? WindowRow(start: Int64(t) * Self.s, arrivals: 100, completed: 90, errors: 10, p99: 11 * Self.ms) : nil
        }
        let x = FaultRecovery(windows: failing, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s)
        XCTAssertEqual(x.recovery, 20 * Self.s)
        XCTAssertEqual(x.peakErrorRate, 0.1)
        XCTAssertEqual(x.peakP99, 12 * Self.ms)
    }

    /// A storm to the end of the run never recovers; neither does a calm stretch shorter than 5
    /// windows at the end, nor a stall (nothing answered).
    func testNeverSettling() {
        let storm = Self.series(seconds: 200) { $0 >= 90 ? Self.storm($0) : nil }
        let x = FaultRecovery(windows: storm, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s)
        XCTAssertNil(x.recovery)
        XCTAssertEqual(x.recovered, false)
        let late = Self.series(seconds: 200) { (90..<196).contains($0) ? Self.storm($0) : nil }
        XCTAssertNil(FaultRecovery(windows: late, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s).recovery,
                     "4 calm windows before the run ends")
        let stall = Self.series(seconds: 200) { t in
            t >= 90 ? WindowRow(start: Int64(t) * Self.s, arrivals: 0, completed: 0, errors: 0, p99: 0) : nil
        }
        XCTAssertNil(FaultRecovery(windows: stall, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s).recovery)
    }

    /// The baseline takes only windows wholly in the 60 s before the fault, and only those with a
    /// completion; with fewer than 5 there is no band and no recovery (`recovered` nil).
    func testBaselineWindows() {
        let rows = Self.series(seconds: 200)
        // A fault at 90.5 s: [90, 91) straddles it; [30, 31) starts before 30.5 s.
        XCTAssertEqual(FaultRecovery(windows: rows, runEnd: 200 * Self.s, at: 90 * Self.s + Self.s / 2,
                                     end: 120 * Self.s).baselineWindows, 59)
        let early = FaultRecovery(windows: rows, runEnd: 200 * Self.s, at: 4 * Self.s, end: 10 * Self.s)
        XCTAssertEqual(early.baselineWindows, 4)
        XCTAssertNil(early.band)
        XCTAssertNil(early.recovery)
        XCTAssertNil(early.recovered)
        XCTAssertEqual(FaultRecovery(windows: rows, runEnd: 200 * Self.s, at: 5 * Self.s, end: 10 * Self.s).recovered, true)
        let idle = Self.series(seconds: 200) { t in
            t < 88 ? WindowRow(start: Int64(t) * Self.s, arrivals: 0, completed: 0, errors: 0, p99: 0) : nil
        }
        XCTAssertEqual(FaultRecovery(windows: idle, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s).baselineWindows, 2)
    }

    /// A constant baseline has sd 0: the band keeps half-widths of 1% of the mean p99 and 0.001.
    func testFloorsOfAConstantBaseline() throws {
        func rows(p99 afterMs: Double, errors: Int) -> [WindowRow] {
            (0..<200).map { t in
                t < 120 ? WindowRow(start: Int64(t) * Self.s, arrivals: 1000, completed: 1000, errors: 0, p99: 100 * Self.ms)
                    : WindowRow(start: Int64(t) * Self.s, arrivals: 1000, completed: 1000 - errors, errors: errors,
                                p99: afterMs * Self.ms)
            }
        }
        func recovered(_ r: [WindowRow]) -> Bool? {
            FaultRecovery(windows: r, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s).recovered
        }
        let band = try XCTUnwrap(FaultRecovery(windows: rows(p99: 100, errors: 0), runEnd: 200 * Self.s, at: 90 * Self.s,
                                               end: 120 * Self.s).band)
        XCTAssertEqual(band.p99SD, 0)
        XCTAssertEqual(band.p99HalfWidth, 1 * Self.ms, accuracy: 1e-6)
        XCTAssertEqual(band.errorRateHalfWidth, 0.001)
        XCTAssertEqual(recovered(rows(p99: 100.5, errors: 0)), true, "0.5% off: inside")
        XCTAssertEqual(recovered(rows(p99: 102, errors: 0)), false, "2% off: outside")
        XCTAssertEqual(recovered(rows(p99: 100, errors: 1)), true, "1 error in 1000 answers: inside")
        XCTAssertEqual(recovered(rows(p99: 100, errors: 2)), false)
    }

    /// Attempts per request, (arrivals + retries) / arrivals, before, during and in the 60 s after.
    func testAmplification() {
        let rows = Self.series(seconds: 300) { t in
            switch t {
            case 90..<120: Self.storm(t)   // 3 retries per arrival: 4 attempts per request
            case 120..<180: WindowRow(start: Int64(t) * Self.s, arrivals: 100, completed: 100, errors: 0, p99: 11 * Self.ms,
                                      retries: t < 150 ? 100 : 0)   // 30 s at 2, 30 s at 1: 1.5
            default: nil
            }
        }
        let x = FaultRecovery(windows: rows, runEnd: 300 * Self.s, at: 90 * Self.s, end: 120 * Self.s)
        XCTAssertEqual(x.amplificationBefore, 1)
        XCTAssertEqual(x.amplificationDuring, 4)
        XCTAssertEqual(x.amplificationAfter, 1.5)
        XCTAssertEqual(x.recovery, 0)
    }

    /// A fault without `for` lasts to the end: no recovery, "during" runs to the end, no "after".
    func testFaultWithoutEnd() {
        let rows = Self.series(seconds: 200) { $0 >= 90 ? Self.storm($0) : nil }
        let x = FaultRecovery(windows: rows, runEnd: 200 * Self.s, at: 90 * Self.s, end: nil)
        XCTAssertNil(x.recovery)
        XCTAssertEqual(x.recovered, false)
        XCTAssertEqual(x.amplificationDuring, 4)
        XCTAssertNil(x.amplificationAfter)
    }

    /// Over replications: means of what each has, how many recovered, and the mean recovery of
    /// those that did.
    func testSummaryOverReplications() throws {
        func rep(recoverAt: Int?) -> FaultRecovery {
            let rows = Self.series(seconds: 200) { t in (90..<(recoverAt ?? 200)).contains(t) ? Self.storm(t) : nil }
            return FaultRecovery(windows: rows, runEnd: 200 * Self.s, at: 90 * Self.s, end: 120 * Self.s)
        }
        let summary = FaultRecoverySummary([rep(recoverAt: 130), rep(recoverAt: 140), rep(recoverAt: nil)])
        XCTAssertEqual(summary.replications, 3)
        XCTAssertEqual(summary.recovered, 2)
        XCTAssertEqual(try XCTUnwrap(summary.recovery), 15e9, accuracy: 1e-3)
        XCTAssertEqual(summary.baselineWindows, 60)
        XCTAssertEqual(try XCTUnwrap(summary.band).p99Mean, 11 * Self.ms, accuracy: 1e-6)
        XCTAssertEqual(summary.amplificationDuring, 4)
        XCTAssertNil(FaultRecoverySummary([rep(recoverAt: nil)]).recovery)
    }
}
