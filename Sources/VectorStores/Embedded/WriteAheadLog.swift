import Glibc

/// The append-only log of an index: each acknowledged write is one record, fsync'd before the
/// write returns, replayed on open on top of the latest snapshot.
///
/// A record is `[length: UInt32][crc32: UInt32][payload]`. A kill can tear only the last record
/// (the one not yet acknowledged); replay stops at the first record whose length or checksum does
/// not hold and cuts the file there, so the next append starts on a clean boundary.
final class WriteAheadLog {
    let path: String
    private let fd: Int32
    private(set) var size: Int

    /// Opens (creating) the log and returns it with the payloads of its complete records.
    static func open(_ path: String) throws -> (WriteAheadLog, [[UInt8]]) {
        let bytes = try DurableFile.read(path) ?? []
        var records: [[UInt8]] = []
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset + 8 <= buffer.count {
                let length = Int(UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                let crc = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                guard length <= buffer.count - offset - 8 else { break }
                let payload = UnsafeRawBufferPointer(rebasing: buffer[offset + 8..<offset + 8 + length])
                guard CRC32.checksum(payload) == crc else { break }
                records.append(Array(payload))
                offset += 8 + length
            }
        }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DurableFile.failure("open the log \(path)") }
        if offset < bytes.count {
            guard ftruncate(fd, off_t(offset)) == 0, fsync(fd) == 0 else {
                close(fd)
                throw DurableFile.failure("cut the torn end of \(path)")
            }
        }
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
            close(fd)
            throw DurableFile.failure("seek in \(path)")
        }
        try DurableFile.syncDirectory(DurableFile.parent(of: path))
        return (WriteAheadLog(path: path, fd: fd, size: offset), records)
    }

    private init(path: String, fd: Int32, size: Int) {
        self.path = path
        self.fd = fd
        self.size = size
    }

    deinit { close(fd) }

    /// Appends one record and returns when it is on disk.
    func append(_ payload: [UInt8]) throws {
        var framed = BinaryWriter(capacity: payload.count + 8)
        framed.write(UInt32(payload.count))
        framed.write(payload.withUnsafeBytes { CRC32.checksum($0) })
        var bytes = framed.bytes
        bytes.append(contentsOf: payload)
        do {
            try DurableFile.writeAll(fd, bytes)
            guard fdatasync(fd) == 0 else { throw DurableFile.failure("fsync the log \(path)") }
        } catch {
            // Leave no half record for the next append to follow.
            _ = ftruncate(fd, off_t(size))
            _ = lseek(fd, off_t(size), SEEK_SET)
            throw error
        }
        size += bytes.count
    }
}
