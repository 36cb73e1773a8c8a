/// A sparse matrix in compressed sparse row form: row r's columns are `columns[rowStarts[r]..<rowStarts[r + 1]]`.
public struct SparseMatrix: Sendable, Equatable {
    public let rows: Int
    public let columnCount: Int
    public let rowStarts: [Int]
    public let columns: [Int32]
    public let values: [Float]

    public var nonzeros: Int { columns.count }

    /// From (row, column, value) triples; values of repeated cells are added, columns sorted within rows.
    public init(rows: Int, columns columnCount: Int, entries: [(row: Int32, column: Int32, value: Float)]) {
        var counts = [Int](repeating: 0, count: rows + 1)
        for entry in entries { counts[Int(entry.row) + 1] += 1 }
        for row in 0..<rows { counts[row + 1] += counts[row] }
        var next = counts
        var columns = [Int32](repeating: 0, count: entries.count), values = [Float](repeating: 0, count: entries.count)
        for entry in entries {
            let slot = next[Int(entry.row)]
            columns[slot] = entry.column
            values[slot] = entry.value
            next[Int(entry.row)] += 1
        }
        // Sort each row by column and merge duplicates.
        var starts = [0], mergedColumns: [Int32] = [], mergedValues: [Float] = []
        mergedColumns.reserveCapacity(entries.count)
        mergedValues.reserveCapacity(entries.count)
        for row in 0..<rows {
            let range = counts[row]..<counts[row + 1]
            let order = range.sorted { columns[$0] < columns[$1] }
            for index in order {
                if mergedColumns.count > starts[row], mergedColumns.last == columns[index] {
                    mergedValues[mergedValues.count - 1] += values[index]
                } else {
                    mergedColumns.append(columns[index])
                    mergedValues.append(values[index])
                }
            }
            starts.append(mergedColumns.count)
        }
        self.rows = rows
        self.columnCount = columnCount
        rowStarts = starts
        self.columns = mergedColumns
        self.values = mergedValues
    }

    init(rows: Int, columnCount: Int, rowStarts: [Int], columns: [Int32], values: [Float]) {
        self.rows = rows
        self.columnCount = columnCount
        self.rowStarts = rowStarts
        self.columns = columns
        self.values = values
    }

    /// Row r's (column, value) pairs.
    public func row(_ r: Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Float>) {
        (columns[rowStarts[r]..<rowStarts[r + 1]], values[rowStarts[r]..<rowStarts[r + 1]])
    }

    /// The transpose (compressed sparse column form of this matrix), in O(nonzeros).
    public var transposed: SparseMatrix {
        var counts = [Int](repeating: 0, count: columnCount + 1)
        for column in columns { counts[Int(column) + 1] += 1 }
        for column in 0..<columnCount { counts[column + 1] += counts[column] }
        var next = counts
        var rowsOut = [Int32](repeating: 0, count: nonzeros), valuesOut = [Float](repeating: 0, count: nonzeros)
        for row in 0..<rows {
            for index in rowStarts[row]..<rowStarts[row + 1] {
                let column = Int(columns[index])
                rowsOut[next[column]] = Int32(row)
                valuesOut[next[column]] = values[index]
                next[column] += 1
            }
        }
        return SparseMatrix(rows: columnCount, columnCount: rows, rowStarts: counts, columns: rowsOut, values: valuesOut)
    }
}

/// Interactions collected one at a time (users and items grow as they appear), turned into a matrix on demand.
public struct InteractionMatrix: Sendable {
    public private(set) var rows: [[(column: Int32, value: Float)]] = []
    public private(set) var columnCount = 0
    public private(set) var nonzeros = 0

    public init() {}

    /// Adds `value` to cell (row, column), growing the matrix as needed; whether the cell is new.
    @discardableResult
    public mutating func add(row: Int, column: Int, value: Float) -> Bool {
        while rows.count <= row { rows.append([]) }
        columnCount = max(columnCount, column + 1)
        if let index = rows[row].firstIndex(where: { $0.column == Int32(column) }) {
            rows[row][index].value += value
            return false
        }
        rows[row].append((Int32(column), value))
        nonzeros += 1
        return true
    }

    public mutating func ensure(columns count: Int) { columnCount = max(columnCount, count) }

    public var matrix: SparseMatrix {
        var entries: [(row: Int32, column: Int32, value: Float)] = []
        entries.reserveCapacity(nonzeros)
        for (row, cells) in rows.enumerated() {
            for cell in cells { entries.append((Int32(row), cell.column, cell.value)) }
        }
        return SparseMatrix(rows: rows.count, columns: columnCount, entries: entries)
    }
}
