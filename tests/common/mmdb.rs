//! A minimal MaxMind DB (format 2.0) writer for tests: IPv4 networks mapped
//! to small records, so GeoIP features are tested without downloading or
//! committing a real database.

/// A value in the MMDB data section.
pub enum Value {
    Str(&'static str),
    U32(u32),
    Map(Vec<(&'static str, Value)>),
}

fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    assert!(size < 285, "test writer handles small values only");
    let (bits, extra) = if size < 29 {
        (size as u8, None)
    } else {
        (29, Some((size - 29) as u8))
    };
    if kind <= 7 {
        out.push((kind << 5) | bits);
    } else {
        out.push(bits);
        out.push(kind - 7);
    }
    out.extend(extra);
}

fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
    let bytes: Vec<u8> = v
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    control(out, kind, bytes.len());
    out.extend(bytes);
}

fn encode(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(s) => {
            control(out, 2, s.len());
            out.extend(s.as_bytes());
        }
        Value::U32(n) => uint(out, 6, u64::from(*n)),
        Value::Map(entries) => {
            control(out, 7, entries.len());
            for (k, v) in entries {
                encode(out, &Value::Str(k));
                encode(out, v);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Child {
    Empty,
    Node(usize),
    Data(usize),
}

/// An IPv4 database: each (a.b.c.d, prefix length, record).
pub fn ipv4(database_type: &'static str, networks: &[([u8; 4], u8, Value)]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut nodes: Vec<[Child; 2]> = vec![[Child::Empty; 2]];
    for (addr, len, record) in networks {
        let offset = data.len();
        encode(&mut data, record);
        let bits = u32::from_be_bytes(*addr);
        let mut cur = 0;
        for d in 0..*len {
            let bit = ((bits >> (31 - d)) & 1) as usize;
            if d + 1 == *len {
                nodes[cur][bit] = Child::Data(offset);
            } else {
                cur = match nodes[cur][bit] {
                    Child::Node(n) => n,
                    _ => {
                        nodes.push([Child::Empty; 2]);
                        let n = nodes.len() - 1;
                        nodes[cur][bit] = Child::Node(n);
                        n
                    }
                };
            }
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for node in &nodes {
        for child in node {
            let v = match *child {
                Child::Empty => count,
                Child::Node(n) => n,
                Child::Data(off) => count + 16 + off,
            } as u32;
            out.extend(&v.to_be_bytes()[1..]);
        }
    }
    out.extend([0u8; 16]);
    out.extend(&data);
    out.extend(b"\xAB\xCD\xEFMaxMind.com");
    let mut meta = Vec::new();
    control(&mut meta, 7, 9);
    let key = |m: &mut Vec<u8>, k: &'static str| encode(m, &Value::Str(k));
    key(&mut meta, "node_count");
    uint(&mut meta, 6, count as u64);
    key(&mut meta, "record_size");
    uint(&mut meta, 5, 24);
    key(&mut meta, "ip_version");
    uint(&mut meta, 5, 4);
    key(&mut meta, "database_type");
    encode(&mut meta, &Value::Str(database_type));
    key(&mut meta, "languages");
    control(&mut meta, 11, 1);
    encode(&mut meta, &Value::Str("en"));
    key(&mut meta, "binary_format_major_version");
    uint(&mut meta, 5, 2);
    key(&mut meta, "binary_format_minor_version");
    uint(&mut meta, 5, 0);
    key(&mut meta, "build_epoch");
    uint(&mut meta, 9, 1_700_000_000);
    key(&mut meta, "description");
    control(&mut meta, 7, 1);
    encode(&mut meta, &Value::Str("en"));
    encode(&mut meta, &Value::Str("rackaudit test database"));
    out.extend(meta);
    out
}
