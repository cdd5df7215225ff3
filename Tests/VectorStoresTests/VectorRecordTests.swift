import Testing
import VectorStores

@Suite struct VectorRecordTests {
    @Test func chunkIDNamesDocumentAndPosition() {
        let record = VectorRecord(tenant: "acme", documentID: "guide/intro.md", chunkIndex: 3, text: "x", vector: [1, 0])
        #expect(record.id == "guide/intro.md#3")
    }
}
