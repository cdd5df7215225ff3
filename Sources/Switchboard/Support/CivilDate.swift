/// Gregorian dates from and to days since 1970-01-01, by plain proleptic-Gregorian arithmetic
/// (H. Hinnant's `civil_from_days` and `days_from_civil`). Budget labels and event timestamps
/// are made for every request; Foundation's `Calendar` and format styles cost microseconds a call.
enum CivilDate {
    static let msPerDay: Int64 = 86_400_000

    /// Whole days since the epoch (rounded down, also before 1970) and the milliseconds into
    /// that day.
    static func split(ms: Int64) -> (days: Int64, msInDay: Int64) {
        let days = ms >= 0 ? ms / msPerDay : (ms - msPerDay + 1) / msPerDay
        return (days, ms - days * msPerDay)
    }

    static func fromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Appends `value` (0 or more, below 10^width) in decimal, zero-padded to `width` digits.
    static func appendDigits(_ value: Int64, width: Int, to bytes: inout [UInt8]) {
        var value = max(0, value)
        let end = bytes.count + width
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var index = end - 1
        while value > 0, index >= end - width {
            bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
            index -= 1
        }
    }
}
