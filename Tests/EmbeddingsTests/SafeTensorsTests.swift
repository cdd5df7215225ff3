import Embeddings
import Foundation
import Testing

@Suite("safetensors loader")
struct SafeTensorsTests {
    /// Writes a safetensors file with the given header JSON and data bytes.
    private func write(header: String, data: [UInt8], name: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("embeddings-test-\(getpid())-\(name.filter(\.isLetter)).safetensors")
        var bytes: [UInt8] = []
        let length = UInt64(header.utf8.count)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        bytes += Array(header.utf8) + data
        try Data(bytes).write(to: url)
        return url
    }

    private func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern.littleEndian >> UInt32($0 * 8)) } }
    }

    private func code(_ body: () throws -> Void) -> EmbeddingError.Code? {
        do { try body(); return nil } catch { return (error as? EmbeddingError)?.code }
    }

    @Test("reads F32 tensors and checks their shape")
    func readsTensors() throws {
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"#
            + #""b":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}}"#
        let url = try write(header: header, data: floatBytes([1, 2, 3, 4]) + [UInt8](repeating: 0, count: 8))
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try SafeTensorsFile(url: url)
        #expect(Array(try file.floats("a", shape: [2, 2])) == [1, 2, 3, 4])
        #expect(file.tensors.count == 2)
        #expect(code { _ = try file.floats("a", shape: [4]) } == .tensorMismatch)
        #expect(code { _ = try file.floats("b", shape: [1]) } == .tensorMismatch)
        #expect(code { _ = try file.floats("c", shape: [1]) } == .missingTensor)
    }

    @Test("a header that leaves the data misaligned still loads")
    func misalignedData() throws {
        // A 57-byte header puts the data at byte 65.
        let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#
        let url = try write(header: header + String(repeating: " ", count: 57 - header.utf8.count), data: floatBytes([5, 6, 7]))
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try SafeTensorsFile(url: url)
        #expect(Array(try file.floats("a", shape: [3])) == [5, 6, 7])
    }

    @Test("rejects malformed files with errors naming the file")
    func rejectsMalformed() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/model.safetensors")
        #expect(code { _ = try SafeTensorsFile(url: missing) } == .modelNotFound)

        let short = try write(header: "{}", data: [], name: "short")
        try Data([1, 2, 3]).write(to: short)
        defer { try? FileManager.default.removeItem(at: short) }
        #expect(code { _ = try SafeTensorsFile(url: short) } == .invalidSafeTensors)

        let badJSON = try write(header: "{not json", data: [], name: "badjson")
        defer { try? FileManager.default.removeItem(at: badJSON) }
        #expect(code { _ = try SafeTensorsFile(url: badJSON) } == .invalidSafeTensors)

        let overrun = try write(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
                                data: floatBytes([1]), name: "overrun")
        defer { try? FileManager.default.removeItem(at: overrun) }
        do {
            _ = try SafeTensorsFile(url: overrun)
            Issue.record("a tensor running past the end of the file was accepted")
        } catch let error as EmbeddingError {
            #expect(error.code == .invalidSafeTensors)
            #expect(error.message.contains(overrun.path) && error.message.contains("a"))
        }

        let huge = try write(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#,
                             data: floatBytes([1]), name: "huge")
        defer { try? FileManager.default.removeItem(at: huge) }
        #expect(code { _ = try SafeTensorsFile(url: huge) } == .invalidSafeTensors)
    }

    @Test("the installed model has the expected tensors")
    func installedModel() throws {
        let url = ReferenceData.modelDirectory().appendingPathComponent(ModelLocation.weightsFile)
        try ModelLocation.validate(ReferenceData.modelDirectory())
        let file = try SafeTensorsFile(url: url)
        #expect(file.tensors.count == 104)
        #expect(file.tensors["embeddings.word_embeddings.weight"]?.shape == [30522, 384])
        #expect(try file.floats("encoder.layer.5.output.dense.weight", shape: [384, 1536]).count == 384 * 1536)
    }
}
