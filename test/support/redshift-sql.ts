/**
 * A lexer for the Redshift (PostgreSQL 8) SQL that UNLOAD statements are
 * made of, and a parser for the UNLOAD shape `renderUnload` produces. Test
 * code only: the rendering tests use it to show a hostile value stays inside
 * its literal, and the fake Redshift Data API uses it to find the query and
 * target of the statements it is sent.
 *
 * Lexical rules followed: '...' strings with '' for a quote (a backslash is
 * an escape character in Redshift strings, so the lexer refuses to guess and
 * throws on one), "..." identifiers with "" for a quote, -- and nested
 * /* *\/ comments, and everything else as words, numbers and punctuation.
 */

export type TokenKind = "string" | "identifier" | "comment" | "word" | "number" | "punct" | "space";

export interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  text: string;
  /** For strings and quoted identifiers: the value, with doubled quotes undone. */
  value?: string;
}

export class SqlLexError extends Error {}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(sql[i]!)) i++;
      tokens.push({ kind: "space", text: sql.slice(start, i) });
    } else if (c === "'" || c === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= n) throw new SqlLexError(`unterminated ${c === "'" ? "string" : "identifier"} at ${start}`);
        const d = sql[i]!;
        if (d === "\\" && c === "'") throw new SqlLexError(`backslash inside a string at ${i}: Redshift would read it as an escape`);
        if (d === c) {
          if (sql[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += d;
        i++;
      }
      tokens.push({ kind: c === "'" ? "string" : "identifier", text: sql.slice(start, i), value });
    } else if (c === "-" && sql[i + 1] === "-") {
      while (i < n && sql[i] !== "\n") i++;
      tokens.push({ kind: "comment", text: sql.slice(start, i) });
    } else if (c === "/" && sql[i + 1] === "*") {
      let depth = 0;
      do {
        if (i >= n) throw new SqlLexError(`unterminated comment at ${start}`);
        if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0);
      tokens.push({ kind: "comment", text: sql.slice(start, i) });
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i++;
      tokens.push({ kind: "word", text: sql.slice(start, i) });
    } else if (/[0-9]/.test(c)) {
      while (i < n && /[0-9.]/.test(sql[i]!)) i++;
      tokens.push({ kind: "number", text: sql.slice(start, i) });
    } else {
      i++;
      tokens.push({ kind: "punct", text: c });
    }
  }
  return tokens;
}

export interface ParsedUnload {
  /** The SELECT inside `UNLOAD ('...')`, unescaped. */
  query: string;
  bucket: string;
  keyPrefix: string;
  iamRole: string;
  /** The options after IAM_ROLE, upper-cased words and numbers joined per option, e.g. ["FORMAT CSV", "HEADER", ...]; DELIMITER's literal is kept as written, e.g. "DELIMITER AS ';'". */
  options: string[];
  /** The DELIMITER literal's value, when there is one. */
  delimiter?: string;
}

const OPTION_STARTS = new Set(["FORMAT", "HEADER", "DELIMITER", "MANIFEST", "ALLOWOVERWRITE", "PARALLEL", "MAXFILESIZE", "GZIP"]);

/**
 * Parses one UNLOAD as `renderUnload` writes it. Throws when the text is not
 * exactly one such statement: a comment, a semicolon or anything else
 * outside the literals means something escaped from one of them.
 */
export function parseUnload(sql: string): ParsedUnload {
  const tokens = tokenize(sql).filter((t) => t.kind !== "space");
  const outside = tokens.filter((t) => t.kind === "comment" || (t.kind === "punct" && t.text === ";"));
  if (outside.length > 0) throw new Error(`found ${outside.map((t) => JSON.stringify(t.text)).join(", ")} outside the literals`);
  const expect = (i: number, kind: TokenKind, text?: string): Token => {
    const t = tokens[i];
    if (!t || t.kind !== kind || (text !== undefined && t.text.toUpperCase() !== text)) {
      throw new Error(`expected ${text ?? kind} at token ${i}, got ${t ? JSON.stringify(t.text) : "the end"}`);
    }
    return t;
  };
  expect(0, "word", "UNLOAD");
  expect(1, "punct", "(");
  const query = expect(2, "string").value!;
  expect(3, "punct", ")");
  expect(4, "word", "TO");
  const target = expect(5, "string").value!;
  expect(6, "word", "IAM_ROLE");
  const iamRole = expect(7, "string").value!;
  const options: string[] = [];
  let delimiter: string | undefined;
  for (const t of tokens.slice(8)) {
    if (t.kind === "string" && options.length > 0 && options[options.length - 1]!.startsWith("DELIMITER") && delimiter === undefined) {
      delimiter = t.value!;
      options[options.length - 1] += ` ${t.text}`;
      continue;
    }
    if (t.kind !== "word" && t.kind !== "number") throw new Error(`unexpected ${JSON.stringify(t.text)} among the options`);
    const word = t.text.toUpperCase();
    if (OPTION_STARTS.has(word) || options.length === 0) options.push(word);
    else options[options.length - 1] += ` ${word}`;
  }
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(target);
  if (!m) throw new Error(`not an s3:// target: ${target}`);
  return { query, bucket: m[1]!, keyPrefix: m[2]!, iamRole, options, ...(delimiter !== undefined ? { delimiter } : {}) };
}
