//! How a synced table is declared: its name in CRUD entries, its columns with
//! their kinds and limits, and which fields only the server may set.
//!
//! Everything else in this module (validation of uploads, the SQL for both
//! databases, the PowerSync stream query) is derived from a declaration, so a
//! table's fields are listed in exactly one place. Every synced table has a
//! uuid primary key, a uuid owner column and a server-stamped `updated_at`.

/// The type of a column as the validator and the SQL generator see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A 32-bit integer (`integer` in both databases).
    Integer,
    /// A finite double (`double precision` / `REAL`).
    Real,
    /// `boolean` in PostgreSQL, `INTEGER` 0/1 in SQLite.
    Bool,
    /// A JSON list of strings (`jsonb` / `TEXT`).
    JsonList,
    /// A JSON object (`jsonb` / `TEXT`).
    JsonObject,
    /// `timestamptz` in PostgreSQL, RFC 3339 UTC text in SQLite.
    Timestamp,
}

impl Kind {
    /// The cast a PostgreSQL parameter of this kind carries. Casting every
    /// parameter lets the store bind a NULL (or JSON) as text whatever the
    /// column type.
    pub const fn postgres_cast(self) -> &'static str {
        match self {
            Kind::Text => "",
            Kind::Integer => "::integer",
            Kind::Real => "::double precision",
            Kind::Bool => "::boolean",
            Kind::JsonList | Kind::JsonObject => "::jsonb",
            Kind::Timestamp => "::timestamptz",
        }
    }

    /// The cast the sync stream applies: the app stores JSON and timestamps as
    /// text, and PowerSync already sends booleans as 0/1.
    pub const fn stream_cast(self) -> &'static str {
        match self {
            Kind::JsonList | Kind::JsonObject | Kind::Timestamp => "::text",
            Kind::Text | Kind::Integer | Kind::Real | Kind::Bool => "",
        }
    }
}

/// One client-writable column. Built with the `const` methods below so a
/// declaration reads as one line per column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// The database fills the column when an insert leaves it out.
    pub has_default: bool,
    /// Lower bound on the length of a text value, in characters.
    pub min_chars: usize,
    /// Upper bound on the length of a text value, in characters (not bytes,
    /// as `varchar(n)` counts in PostgreSQL).
    pub max_chars: Option<usize>,
}

impl Column {
    /// A nullable column without default or length limits.
    pub const fn new(name: &'static str, kind: Kind) -> Self {
        Column {
            name,
            kind,
            nullable: true,
            has_default: false,
            min_chars: 0,
            max_chars: None,
        }
    }

    pub const fn not_null(self) -> Self {
        Column {
            nullable: false,
            ..self
        }
    }

    pub const fn db_default(self) -> Self {
        Column {
            has_default: true,
            ..self
        }
    }

    pub const fn at_least(self, min_chars: usize) -> Self {
        Column { min_chars, ..self }
    }

    pub const fn at_most(self, max_chars: usize) -> Self {
        Column {
            max_chars: Some(max_chars),
            ..self
        }
    }

    /// An insert must name this column: it is NOT NULL and has no default.
    pub const fn required_for_insert(&self) -> bool {
        !self.nullable && !self.has_default
    }
}

/// A synced table. `name` is the `type` the PowerSync client puts in CRUD
/// entries (the table name on the device).
#[derive(Debug)]
pub struct Entity {
    pub name: &'static str,
    pub table: &'static str,
    /// The uuid primary key; the stream renames it `id` for PowerSync.
    pub id_column: &'static str,
    /// The uuid of the owning user; every statement is scoped by it.
    pub owner_column: &'static str,
    /// Set to the server's commit time on every insert and update.
    pub updated_column: &'static str,
    /// The columns a client may write, in table order.
    pub columns: &'static [Column],
    /// Fields a client may send but whose values the server ignores.
    pub server_controlled: &'static [&'static str],
}

impl Entity {
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    pub fn is_server_controlled(&self, name: &str) -> bool {
        self.server_controlled.contains(&name)
    }

    /// The columns an insert cannot do without.
    pub fn required_for_insert(&self) -> impl Iterator<Item = &'static Column> {
        self.columns
            .iter()
            .filter(|column| column.required_for_insert())
    }
}
