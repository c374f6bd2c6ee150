//! The recorded form of a buffered value: a flat list of tokens that a
//! `Lenient` decodes from, and re-reads as the raw value when decoding fails.

use super::*;

/// One token of a buffered value. A container token is followed by its
/// contents (for a map, keys and values alternate): `len` tokens in all,
/// `items` elements or entries.
#[derive(Debug)]
enum Token<'de> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'de, str>),
    Seq { len: usize, items: usize },
    Map { len: usize, items: usize },
}

/// Splits the first value (its token and its contents) off `tokens`.
fn split_value<'a, 'de>(tokens: &'a [Token<'de>]) -> (&'a [Token<'de>], &'a [Token<'de>]) {
    let len = match tokens.first() {
        Some(Token::Seq { len, .. } | Token::Map { len, .. }) => 1 + len,
        Some(_) => 1,
        None => 0,
    };
    tokens.split_at(len.min(tokens.len()))
}

/// The raw value of buffered tokens (one value).
fn to_value(tokens: &[Token<'_>]) -> Value {
    let Some((first, mut rest)) = tokens.split_first() else {
        return Value::Null;
    };
    match first {
        Token::Null => Value::Null,
        Token::Bool(b) => Value::Bool(*b),
        Token::U64(n) => Value::U64(*n),
        Token::I64(n) => Value::I64(*n),
        Token::F64(n) => Value::F64(*n),
        Token::Str(s) => Value::String(s.to_string()),
        Token::Seq { items, .. } => {
            let mut values = Vec::with_capacity(*items);
            while !rest.is_empty() {
                let (item, tail) = split_value(rest);
                values.push(to_value(item));
                rest = tail;
            }
            Value::Array(values)
        }
        Token::Map { items, .. } => {
            let mut members = Vec::with_capacity(*items);
            while !rest.is_empty() {
                let (key, tail) = split_value(rest);
                let (value, tail) = split_value(tail);
                members.push((key_text(to_value(key)), to_value(value)));
                rest = tail;
            }
            Value::Object(members)
        }
    }
}

thread_local! {
    /// Token buffers of finished `Lenient` values, for reuse: decoding a
    /// body then allocates no buffer per record.
    static SPARE_BUFFERS: RefCell<Vec<Vec<Token<'static>>>> = const { RefCell::new(Vec::new()) };
}

/// At most this many spare buffers are kept per thread (nested `Lenient`s
/// outside a buffer, e.g. from a `serde_json::Value`, take one each)...
const SPARE_BUFFERS_KEPT: usize = 4;
/// ...each of at most this many tokens.
const SPARE_BUFFER_TOKENS: usize = 4096;

fn take_buffer<'de>() -> Vec<Token<'de>> {
    SPARE_BUFFERS
        .try_with(|spare| spare.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_else(|| Vec::with_capacity(32))
}

fn give_back(mut tokens: Vec<Token<'_>>) {
    if tokens.capacity() > SPARE_BUFFER_TOKENS {
        return;
    }
    tokens.clear();
    // The buffer is empty, so nothing is converted; collecting in place
    // keeps the allocation while the token lifetime becomes `'static`.
    let tokens: Vec<Token<'static>> = tokens.into_iter().map(|_| Token::Null).collect();
    if tokens.capacity() == 0 {
        return;
    }
    // During thread teardown the pool may be gone: the buffer just drops.
    let _ = SPARE_BUFFERS.try_with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.len() < SPARE_BUFFERS_KEPT {
            spare.push(tokens);
        }
    });
}

/// Buffers one value into a token list.
struct Buffer<'v, 'de> {
    tokens: &'v mut Vec<Token<'de>>,
}

impl<'de> Buffer<'_, 'de> {
    fn push(self, token: Token<'de>) {
        self.tokens.push(token);
    }

    /// Starts a container; [`Buffer::close`] fills in its sizes.
    fn open(&mut self, token: Token<'de>) -> usize {
        self.tokens.push(token);
        self.tokens.len() - 1
    }

    fn close(&mut self, at: usize, items: usize) {
        let len = self.tokens.len() - at - 1;
        if let Some(Token::Seq { len: l, items: i } | Token::Map { len: l, items: i }) =
            self.tokens.get_mut(at)
        {
            *l = len;
            *i = items;
        }
    }

    fn again(&mut self) -> Buffer<'_, 'de> {
        Buffer {
            tokens: &mut *self.tokens,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Buffer<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Buffer<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.push(Token::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.push(match u64::try_from(v) {
            Ok(n) => Token::U64(n),
            Err(_) => Token::I64(v),
        });
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.push(Token::U64(v));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.push(Token::F64(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.push(Token::Str(Cow::Owned(v.to_owned())));
        Ok(())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.push(Token::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.push(Token::Str(Cow::Owned(v)));
        Ok(())
    }
    fn visit_bytes<E>(mut self, v: &[u8]) -> Result<(), E> {
        let at = self.open(Token::Seq { len: 0, items: 0 });
        for b in v {
            self.tokens.push(Token::U64(u64::from(*b)));
        }
        self.close(at, v.len());
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.push(Token::Null);
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.push(Token::Null);
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let at = self.open(Token::Seq { len: 0, items: 0 });
        let mut items = 0;
        while seq.next_element_seed(self.again())?.is_some() {
            items += 1;
        }
        self.close(at, items);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let at = self.open(Token::Map { len: 0, items: 0 });
        let mut items = 0;
        while map.next_key_seed(self.again())?.is_some() {
            map.next_value_seed(self.again())?;
            items += 1;
        }
        self.close(at, items);
        Ok(())
    }
}

/// Where in a value an error happened: an object member or an array index.
enum Segment {
    Key(String),
    Index(usize),
}

/// The members and elements a decoding error passed through on its way up
/// (innermost first).
#[derive(Default)]
struct Trail(RefCell<Vec<Segment>>);

impl Trail {
    fn push(&self, segment: Segment) {
        self.0.borrow_mut().push(segment);
    }

    fn len(&self) -> usize {
        self.0.borrow().len()
    }

    /// Takes the segments pushed since the trail had `from` of them, as a
    /// path (`slave_instances[1].region`).
    fn take_path(&self, from: usize) -> String {
        let mut trail = self.0.borrow_mut();
        let mut path = String::new();
        for segment in trail.iter().skip(from).rev() {
            match segment {
                Segment::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        trail.truncate(from);
        path
    }
}

fn with_path(path: &str, message: String) -> String {
    if path.is_empty() {
        message
    } else {
        format!("{path}: {message}")
    }
}

/// Decodes a `Lenient<T>`: buffers the value, or, inside a buffer, decodes
/// it in place (see [`LENIENT_TOKEN`]).
pub(super) struct LenientVisitor<T>(pub(super) PhantomData<T>);

impl<T> LenientVisitor<T> {
    /// Buffers one value and decodes it.
    fn buffered<'de, E: de::Error>(
        fill: impl FnOnce(Buffer<'_, 'de>) -> Result<(), E>,
    ) -> Result<Lenient<T>, E>
    where
        T: Deserialize<'de>,
    {
        let mut tokens = take_buffer();
        let filled = fill(Buffer {
            tokens: &mut tokens,
        });
        let decoded = filled.map(|()| {
            let trail = Trail::default();
            match T::deserialize(ContentRef::<E>::new(&tokens, &trail)) {
                Ok(value) => Lenient::Valid(value),
                Err(e) => Lenient::Malformed(Malformed {
                    error: with_path(&trail.take_path(0), e.to_string()),
                    raw: to_value(&tokens),
                }),
            }
        });
        give_back(tokens);
        decoded
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    // The usual way in: the deserializer hands over the value itself.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Lenient<T>, D::Error> {
        Self::buffered(|buffer| d.deserialize_any(buffer))
    }

    // Inside a buffer: the value is already buffered (see `NestedLenient`).
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Lenient<T>, A::Error> {
        let ((), variant) = data.variant_seed(UnitSeed)?;
        variant.tuple_variant(3, NestedVisitor(PhantomData))
    }

    // Deserializers that treat a newtype struct as its content visit the
    // value directly.
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_i64(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_u64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_f64(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_str(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_borrowed_str(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_string(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_bytes(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_unit())
    }
    fn visit_none<E: de::Error>(self) -> Result<Lenient<T>, E> {
        Self::buffered(|buffer| buffer.visit_none())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lenient<T>, D::Error> {
        Self::buffered(|buffer| d.deserialize_any(buffer))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Lenient<T>, A::Error> {
        Self::buffered(|buffer| buffer.visit_seq(seq))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lenient<T>, A::Error> {
        Self::buffered(|buffer| buffer.visit_map(map))
    }
}

/// Reads the unit variant tag of [`NestedLenient`].
struct UnitSeed;

impl<'de> DeserializeSeed<'de> for UnitSeed {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        IgnoredAny::deserialize(d).map(|_| ())
    }
}

/// Decodes a nested `Lenient<T>` from the three parts [`NestedLenient`]
/// offers: the attempt to decode `T`, then (only if it failed) the path of
/// the failure and the raw value.
struct NestedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for NestedVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a buffered value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut parts: A) -> Result<Lenient<T>, A::Error> {
        let missing = || de::Error::custom("incomplete nested lenient value");
        match parts
            .next_element_seed(Attempt(PhantomData))?
            .ok_or_else(missing)?
        {
            Ok(value) => Ok(Lenient::Valid(value)),
            Err(message) => {
                let path: String = parts.next_element()?.ok_or_else(missing)?;
                let raw: Value = parts.next_element()?.ok_or_else(missing)?;
                Ok(Lenient::Malformed(Malformed {
                    error: with_path(&path, message),
                    raw,
                }))
            }
        }
    }
}

/// Decodes a `T`, turning a failure into its message.
struct Attempt<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Attempt<T> {
    type Value = Result<T, String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Result<T, String>, D::Error> {
        Ok(T::deserialize(d).map_err(|e| e.to_string()))
    }
}

/// Decodes a type from buffered tokens (one value).
struct ContentRef<'a, 'de, E> {
    tokens: &'a [Token<'de>],
    trail: &'a Trail,
    error: PhantomData<E>,
}

impl<E> Clone for ContentRef<'_, '_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for ContentRef<'_, '_, E> {}

impl<'a, 'de, E> ContentRef<'a, 'de, E> {
    fn new(tokens: &'a [Token<'de>], trail: &'a Trail) -> Self {
        ContentRef {
            tokens,
            trail,
            error: PhantomData,
        }
    }
}

impl<'de, E: de::Error> Deserializer<'de> for ContentRef<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        let Some((first, rest)) = self.tokens.split_first() else {
            return Err(de::Error::custom("no value"));
        };
        match first {
            Token::Null => visitor.visit_unit(),
            Token::Bool(b) => visitor.visit_bool(*b),
            Token::U64(n) => visitor.visit_u64(*n),
            Token::I64(n) => visitor.visit_i64(*n),
            Token::F64(n) => visitor.visit_f64(*n),
            Token::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Token::Str(Cow::Owned(s)) => visitor.visit_str(s),
            Token::Seq { items, .. } => visitor.visit_seq(SeqRef::<E> {
                rest,
                items: *items,
                index: 0,
                trail: self.trail,
                error: PhantomData,
            }),
            Token::Map { items, .. } => visitor.visit_map(MapRef::<E> {
                rest,
                items: *items,
                key: &[],
                trail: self.trail,
                error: PhantomData,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.tokens.first() {
            Some(Token::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        match self.tokens.first() {
            Some(Token::Seq { .. }) => Err(de::Error::invalid_type(Unexpected::Seq, &visitor)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        if name == LENIENT_TOKEN {
            visitor.visit_enum(NestedLenient {
                content: self,
                trail_from: self.trail.len(),
                part: 0,
            })
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map enum
        identifier
    }
}

struct SeqRef<'a, 'de, E> {
    rest: &'a [Token<'de>],
    items: usize,
    index: usize,
    trail: &'a Trail,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> SeqAccess<'de> for SeqRef<'_, 'de, E> {
    type Error = E;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, E> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let (item, rest) = split_value(self.rest);
        self.rest = rest;
        let index = self.index;
        self.index += 1;
        match seed.deserialize(ContentRef::new(item, self.trail)) {
            Ok(value) => Ok(Some(value)),
            Err(e) => {
                self.trail.push(Segment::Index(index));
                Err(e)
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items - self.index.min(self.items))
    }
}

struct MapRef<'a, 'de, E> {
    rest: &'a [Token<'de>],
    items: usize,
    /// The tokens of the current key.
    key: &'a [Token<'de>],
    trail: &'a Trail,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> MapAccess<'de> for MapRef<'_, 'de, E> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let (key, rest) = split_value(self.rest);
        self.rest = rest;
        self.key = key;
        self.items = self.items.saturating_sub(1);
        seed.deserialize(ContentRef::new(key, self.trail)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, E> {
        let (value, rest) = split_value(self.rest);
        self.rest = rest;
        seed.deserialize(ContentRef::new(value, self.trail))
            .inspect_err(|_| {
                self.trail.push(Segment::Key(key_text(to_value(self.key))));
            })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items)
    }
}

/// A buffered value offered to a nested `Lenient` (as the single variant of
/// an enum, with three parts; see [`NestedVisitor`]).
struct NestedLenient<'a, 'de, E> {
    content: ContentRef<'a, 'de, E>,
    /// How long the trail was when this value started decoding.
    trail_from: usize,
    /// The next part to offer.
    part: u8,
}

impl<'de, E: de::Error> EnumAccess<'de> for NestedLenient<'_, 'de, E> {
    type Error = E;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), E> {
        Ok((seed.deserialize(UnitDeserializer::new())?, self))
    }
}

impl<'de, E: de::Error> VariantAccess<'de> for NestedLenient<'_, 'de, E> {
    type Error = E;

    fn unit_variant(self) -> Result<(), E> {
        Err(de::Error::invalid_type(
            Unexpected::TupleVariant,
            &"a unit variant",
        ))
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, E> {
        seed.deserialize(self.content)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, E> {
        visitor.visit_seq(self)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, E> {
        Err(de::Error::invalid_type(
            Unexpected::TupleVariant,
            &"a struct variant",
        ))
    }
}

impl<'de, E: de::Error> SeqAccess<'de> for NestedLenient<'_, 'de, E> {
    type Error = E;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, E> {
        let part = self.part;
        self.part = self.part.saturating_add(1);
        match part {
            // The attempt to decode the value.
            0 => seed.deserialize(self.content).map(Some),
            // The path of its failure.
            1 => {
                let path = self.content.trail.take_path(self.trail_from);
                seed.deserialize(StringDeserializer::new(path)).map(Some)
            }
            // The raw value.
            2 => seed
                .deserialize(ValueRef::<E>::new(self.content.tokens))
                .map(Some),
            _ => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(3 - usize::from(self.part.min(3)))
    }
}

/// Hands over the raw value of buffered tokens.
struct ValueRef<'a, 'de, E> {
    tokens: &'a [Token<'de>],
    error: PhantomData<E>,
}

impl<'a, 'de, E> ValueRef<'a, 'de, E> {
    fn new(tokens: &'a [Token<'de>]) -> Self {
        ValueRef {
            tokens,
            error: PhantomData,
        }
    }
}

impl<'de, E: de::Error> Deserializer<'de> for ValueRef<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        let trail = Trail::default();
        ContentRef::<E>::new(self.tokens, &trail).deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
