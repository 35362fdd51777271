/**
 * A V8 heap snapshot (the `.heapsnapshot` JSON format) read into flat typed arrays, with just the
 * accessors the retainer analysis needs: node type, name, id and size; edge type, name and target.
 * The format is V8's own (documented by its `snapshot.meta` section); nothing here depends on a
 * particular V8 version beyond the field names it reads from that section.
 */

interface SnapshotJson {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
    node_count?: number;
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export class HeapSnapshotFormatError extends Error {
  override name = "HeapSnapshotFormatError";
}

export class HeapGraph {
  readonly nodeCount: number;
  readonly #nodeTypes: string[];
  readonly #edgeTypes: string[];
  readonly #strings: string[];
  /** Per node: type, name, id, self size. */
  readonly #type: Uint8Array;
  readonly #name: Uint32Array;
  readonly #id: Uint32Array;
  readonly #size: Float64Array;
  /** Edges of node i are firstEdge[i] .. firstEdge[i + 1] - 1. */
  readonly #firstEdge: Uint32Array;
  readonly #edgeType: Uint8Array;
  /** A string index, or the element index for element and hidden edges. */
  readonly #edgeName: Uint32Array;
  readonly #edgeTo: Uint32Array;
  readonly #nameIsIndex: boolean[];
  #byId: Map<number, number> | undefined;

  constructor(json: unknown) {
    const snapshot = json as SnapshotJson;
    const meta = snapshot?.snapshot?.meta;
    if (!meta || !Array.isArray(snapshot.nodes) || !Array.isArray(snapshot.edges)) {
      throw new HeapSnapshotFormatError("not a V8 heap snapshot: no meta, nodes or edges");
    }
    const nf = meta.node_fields;
    const ef = meta.edge_fields;
    const at = (fields: string[], name: string) => {
      const index = fields.indexOf(name);
      if (index < 0) throw new HeapSnapshotFormatError(`heap snapshot has no field "${name}"`);
      return index;
    };
    const [nType, nName, nId, nSize, nEdges] = [
      at(nf, "type"),
      at(nf, "name"),
      at(nf, "id"),
      at(nf, "self_size"),
      at(nf, "edge_count"),
    ];
    const [eType, eName, eTo] = [at(ef, "type"), at(ef, "name_or_index"), at(ef, "to_node")];
    this.#nodeTypes = meta.node_types[0];
    this.#edgeTypes = meta.edge_types[0];
    this.#strings = snapshot.strings;
    this.#nameIsIndex = this.#edgeTypes.map((t) => t === "element" || t === "hidden");
    const nodes = snapshot.nodes;
    const edges = snapshot.edges;
    const n = Math.floor(nodes.length / nf.length);
    this.nodeCount = n;
    this.#type = new Uint8Array(n);
    this.#name = new Uint32Array(n);
    this.#id = new Uint32Array(n);
    this.#size = new Float64Array(n);
    this.#firstEdge = new Uint32Array(n + 1);
    let edge = 0;
    for (let i = 0; i < n; i += 1) {
      const base = i * nf.length;
      this.#type[i] = nodes[base + nType] ?? 0;
      this.#name[i] = nodes[base + nName] ?? 0;
      this.#id[i] = nodes[base + nId] ?? 0;
      this.#size[i] = nodes[base + nSize] ?? 0;
      this.#firstEdge[i] = edge;
      edge += nodes[base + nEdges] ?? 0;
    }
    this.#firstEdge[n] = edge;
    const m = Math.floor(edges.length / ef.length);
    if (edge !== m) {
      throw new HeapSnapshotFormatError(`heap snapshot edge counts disagree (${edge} vs ${m})`);
    }
    this.#edgeType = new Uint8Array(m);
    this.#edgeName = new Uint32Array(m);
    this.#edgeTo = new Uint32Array(m);
    for (let e = 0; e < m; e += 1) {
      const base = e * ef.length;
      this.#edgeType[e] = edges[base + eType] ?? 0;
      this.#edgeName[e] = edges[base + eName] ?? 0;
      // to_node is an offset into the nodes array, not a node index.
      this.#edgeTo[e] = Math.floor((edges[base + eTo] ?? 0) / nf.length);
    }
  }

  nodeType(node: number): string {
    return this.#nodeTypes[this.#type[node] ?? 0] ?? "unknown";
  }

  nodeName(node: number): string {
    return this.#strings[this.#name[node] ?? 0] ?? "";
  }

  nodeId(node: number): number {
    return this.#id[node] ?? 0;
  }

  selfSize(node: number): number {
    return this.#size[node] ?? 0;
  }

  firstEdge(node: number): number {
    return this.#firstEdge[node] ?? 0;
  }

  endEdge(node: number): number {
    return this.#firstEdge[node + 1] ?? 0;
  }

  edgeType(edge: number): string {
    return this.#edgeTypes[this.#edgeType[edge] ?? 0] ?? "unknown";
  }

  /** The property or variable name, or the index for element and hidden edges. */
  edgeName(edge: number): string | number {
    const raw = this.#edgeName[edge] ?? 0;
    return this.#nameIsIndex[this.#edgeType[edge] ?? 0] ? raw : (this.#strings[raw] ?? "");
  }

  edgeTo(edge: number): number {
    return this.#edgeTo[edge] ?? 0;
  }

  /** The node with this snapshot id, if any. */
  nodeById(id: number): number | undefined {
    if (!this.#byId) {
      this.#byId = new Map();
      for (let i = 0; i < this.nodeCount; i += 1) this.#byId.set(this.nodeId(i), i);
    }
    return this.#byId.get(id);
  }

  /** The target of the first edge of `node` with this name (e.g. a property), if any. */
  child(node: number, name: string | number): number | undefined {
    for (let e = this.firstEdge(node); e < this.endEdge(node); e += 1) {
      // Hash-table slots are internal edges named "12", elements are numbered: compare as text.
      if (String(this.edgeName(e)) === String(name) && this.edgeType(e) !== "weak") {
        return this.edgeTo(e);
      }
    }
    return undefined;
  }
}
