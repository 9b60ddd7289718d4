import Testing
@testable import NoetherIO

@Suite("CSV writing (RFC 4180)")
struct CSVWriterTests {
    @Test func plainFieldsAreWrittenAsIs() {
        #expect(CSVWriter.record(["step", "layers.0/dead", "0.5", ""]) == "step,layers.0/dead,0.5,\r\n")
    }

    @Test func commasQuotesAndLineBreaksAreQuoted() {
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.field("two\nlines") == "\"two\nlines\"")
        #expect(CSVWriter.field("crlf\r\nend") == "\"crlf\r\nend\"")
        // A comma is kept, never replaced by another character.
        #expect(CSVWriter.table(header: ["key", "value"], rows: [["[16, 32]", "1"]]) == "key,value\r\n\"[16, 32]\",1\r\n")
    }
}
