import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only `.safetensors` file, memory-mapped.
///
/// Layout: an unsigned 64-bit little-endian header length, a JSON header
/// mapping tensor names to `{dtype, shape, data_offsets}` (offsets relative to
/// the end of the header), then the raw little-endian tensor data. Tensors are
/// used in place from the mapping, so only the pages actually read (for the
/// word-embedding table, only the rows of tokens seen) take memory.
public final class SafeTensorsFile: @unchecked Sendable {
    // @unchecked: the mapping is never written and lives until deinit.

    /// One tensor's header entry.
    public struct TensorInfo: Sendable, Equatable {
        /// Element type as spelled in the header, e.g. `F32`, `I64`.
        public let dtype: String
        /// Dimensions, outermost first.
        public let shape: [Int]
        /// Byte range within the data section.
        public let byteRange: Range<Int>
    }

    /// The file this was read from.
    public let path: String
    /// Header entries by tensor name (`__metadata__` excluded).
    public let tensors: [String: TensorInfo]
    /// Start of the data section (in the mapping, or in `copied`).
    private let data: UnsafeRawPointer
    /// The file mapping, when tensors are used in place.
    private let mapping: (pointer: UnsafeMutableRawPointer, length: Int)?
    /// An aligned copy of the data section, when the header length leaves it misaligned.
    private let copied: UnsafeMutableRawPointer?

    /// Maps the file at `url` and parses its header.
    public init(url: URL) throws {
        path = url.path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let code: EmbeddingError.Code = errno == ENOENT ? .modelNotFound : .fileUnreadable
            throw EmbeddingError(code, "cannot open weights file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw EmbeddingError(.fileUnreadable, "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        let size = Int(info.st_size)
        guard size >= 8 else {
            throw EmbeddingError(.invalidSafeTensors, "\(path) is \(size) bytes, too short for a safetensors header")
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw EmbeddingError(.fileUnreadable, "cannot map \(path): \(String(cString: strerror(errno)))")
        }
        var dataStart = 0
        do {
            let headerLength = Int(clamping: UInt64(littleEndian: mapped.loadUnaligned(as: UInt64.self)))
            guard headerLength > 1, headerLength <= size - 8, headerLength < 100_000_000 else {
                throw EmbeddingError(.invalidSafeTensors, "\(path): header length \(headerLength) does not fit a \(size)-byte file")
            }
            dataStart = 8 + headerLength
            let header = Data(bytes: mapped + 8, count: headerLength)
            tensors = try Self.parseHeader(header, path: path, dataLength: size - dataStart)
        } catch {
            munmap(mapped, size)
            throw error
        }
        if dataStart % 8 == 0 {
            data = UnsafeRawPointer(mapped + dataStart)
            mapping = (mapped, size)
            copied = nil
        } else {
            // Writers pad the header so tensors are aligned; for files that
            // do not, copy the data once rather than read misaligned floats.
            let copy = UnsafeMutableRawPointer.allocate(byteCount: max(size - dataStart, 1), alignment: 64)
            copy.copyMemory(from: mapped + dataStart, byteCount: size - dataStart)
            munmap(mapped, size)
            data = UnsafeRawPointer(copy)
            mapping = nil
            copied = copy
        }
    }

    deinit {
        if let mapping { munmap(mapping.pointer, mapping.length) }
        copied?.deallocate()
    }

    /// The F32 tensor `name`, checked against `shape`, as a buffer into the mapping.
    /// The buffer is valid as long as this object lives.
    public func floats(_ name: String, shape: [Int]) throws -> UnsafeBufferPointer<Float> {
        let start = try floatPointer(name, shape: shape)
        return UnsafeBufferPointer(start: start, count: shape.reduce(1, *))
    }

    /// Like `floats(_:shape:)`, as a pointer to the first element.
    func floatPointer(_ name: String, shape: [Int]) throws -> UnsafePointer<Float> {
        guard let info = tensors[name] else {
            throw EmbeddingError(.missingTensor, "\(path) has no tensor \(name)")
        }
        guard info.dtype == "F32" else {
            throw EmbeddingError(.tensorMismatch, "\(path): tensor \(name) is \(info.dtype), expected F32")
        }
        guard info.shape == shape else {
            throw EmbeddingError(.tensorMismatch, "\(path): tensor \(name) has shape \(info.shape), expected \(shape)")
        }
        let start = data + info.byteRange.lowerBound
        guard Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 else {
            throw EmbeddingError(.invalidSafeTensors, "\(path): tensor \(name) is not 4-byte aligned")
        }
        #if _endian(big)
        throw EmbeddingError(.tensorMismatch, "\(path): little-endian tensors need a little-endian host")
        #else
        return start.assumingMemoryBound(to: Float.self)
        #endif
    }

    /// Decodes and validates the JSON header.
    private static func parseHeader(_ header: Data, path: String, dataLength: Int) throws -> [String: TensorInfo] {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw EmbeddingError(.invalidSafeTensors, "\(path): header is not valid JSON: \(error)")
        }
        guard let entries = json as? [String: Any] else {
            throw EmbeddingError(.invalidSafeTensors, "\(path): header is not a JSON object")
        }
        let elementSizes = ["F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4,
                            "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in entries where name != "__metadata__" {
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [NSNumber])?.map(\.intValue),
                  let offsets = (entry["data_offsets"] as? [NSNumber])?.map(\.intValue),
                  offsets.count == 2
            else {
                throw EmbeddingError(.invalidSafeTensors, "\(path): malformed header entry for tensor \(name)")
            }
            guard let elementSize = elementSizes[dtype] else {
                throw EmbeddingError(.invalidSafeTensors, "\(path): tensor \(name) has unknown dtype \(dtype)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            // Multiply with overflow checks: the header is untrusted input.
            var bytes: Int? = elementSize
            for dim in shape {
                guard let sofar = bytes, dim >= 0 else { bytes = nil; break }
                let (product, overflow) = sofar.multipliedReportingOverflow(by: dim)
                bytes = overflow ? nil : product
            }
            guard let bytes, begin >= 0, begin <= end, end <= dataLength, end - begin == bytes else {
                throw EmbeddingError(.invalidSafeTensors,
                    "\(path): tensor \(name) has offsets \(offsets) inconsistent with \(dtype) \(shape) and \(dataLength) data bytes")
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, byteRange: begin..<end)
        }
        return tensors
    }
}
