@testable import Switchboard
import Kafka
import Testing

@Suite("Offset tracking of a parallel consumer")
struct OffsetTrackerTests {
    let p0 = TopicPartition("t", 0)

    @Test("the committable offset is the first unfinished one, whatever order records finish in")
    func outOfOrder() {
        var tracker = OffsetTracker()
        let tickets = (10..<15).map { tracker.begin(p0, offset: Int64($0)) }
        #expect(tracker.takeCommittable().isEmpty)
        tracker.finish(tickets[2])
        tracker.finish(tickets[1])
        #expect(tracker.takeCommittable().isEmpty)  // 10 still in flight
        tracker.finish(tickets[0])
        #expect(tracker.takeCommittable() == [p0: 13])  // 10, 11, 12 done
        #expect(tracker.takeCommittable().isEmpty)  // nothing new
        tracker.finish(tickets[4])
        // A finished record behind an unfinished one still counts against the window, which
        // keeps the bookkeeping bounded when one record is slow.
        #expect(tracker.inFlight(p0) == 2)
        tracker.finish(tickets[3])
        #expect(tracker.takeCommittable() == [p0: 15])
        #expect(tracker.inFlight(p0) == 0)
    }

    @Test("a revoked partition hands back its progress and ignores late completions")
    func revoke() {
        var tracker = OffsetTracker()
        let a = tracker.begin(p0, offset: 0)
        let b = tracker.begin(p0, offset: 1)
        tracker.finish(a)
        #expect(tracker.revoke([p0]) == [p0: 1])
        // Reassigned: the group starts again at the committed offset.
        let again = tracker.begin(p0, offset: 1)
        tracker.finish(b)  // the stale ticket from before the rebalance changes nothing
        #expect(tracker.takeCommittable().isEmpty)
        tracker.finish(again)
        #expect(tracker.takeCommittable() == [p0: 2])
    }

    @Test("many records: the queue compacts and the total stays right")
    func many() {
        var tracker = OffsetTracker()
        var tickets = [OffsetTracker.Ticket]()
        for offset in 0..<5000 { tickets.append(tracker.begin(p0, offset: Int64(offset))) }
        for ticket in tickets.reversed() { tracker.finish(ticket) }
        #expect(tracker.takeCommittable() == [p0: 5000])
        #expect(tracker.totalInFlight == 0)
    }
}
