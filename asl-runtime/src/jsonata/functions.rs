//! Functions: Step Functions' own (`$partition`, `$hash`, `$uuid`, ...) and
//! JSONata 2.0's that jsonata-rs lacks or gets wrong.

use super::*;

type Native = for<'a, 'e> fn(
    FunctionContext<'a, 'e>,
    &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>>;

/// Registers the functions the expression names (`mentioned`: its `$names`); a
/// function passed around by name is named too, so none is missed.
pub(super) fn register_functions(jsonata: &JsonAta<'_>, mentioned: &[String]) {
    const FUNCTIONS: &[(&str, usize, Native)] = &[
        ("partition", 2, sfn::partition),
        ("range", 3, sfn::range),
        ("hash", 2, sfn::hash),
        ("__asl_random", 1, sfn::random),
        ("__asl_keys", 1, std_fns::keys),
        ("__asl_each", 2, std_fns::each),
        ("__asl_substring", 3, std_fns::substring),
        ("__asl_pad", 3, std_fns::pad),
        ("__asl_round", 2, std_fns::round),
        ("__asl_now", 2, std_fns::now),
        ("__asl_string", 2, std_fns::string),
        ("parse", 1, sfn::parse),
        ("type", 1, std_fns::type_of),
        ("average", 1, std_fns::average),
        ("spread", 1, std_fns::spread),
        ("sift", 2, std_fns::sift),
        ("shuffle", 1, std_fns::shuffle),
        ("formatBase", 2, std_fns::format_base),
        ("formatInteger", 2, std_fns::format_integer),
        ("parseInteger", 2, std_fns::parse_integer),
        ("formatNumber", 3, std_fns::format_number),
        ("encodeUrlComponent", 1, std_fns::encode_url_component),
        ("encodeUrl", 1, std_fns::encode_url),
        ("decodeUrlComponent", 1, std_fns::decode_url),
        ("decodeUrl", 1, std_fns::decode_url),
    ];
    for (name, arity, function) in FUNCTIONS {
        let plain = name.strip_prefix("__asl_").unwrap_or(name);
        if mentioned.iter().any(|m| m == plain) {
            jsonata.register_function(name, *arity, *function);
        }
    }
}

/// An error with a JSONata code jsonata-rs has no variant for
/// (`Failure::from_jsonata` reads it back).
pub(super) fn coded(code: &str, message: &str) -> jsonata_rs::Error {
    jsonata_rs::Error::D3137Error(format!("[{code}] {message}"))
}

pub(super) fn bad_argument(ctx: &FunctionContext<'_, '_>, index: usize) -> jsonata_rs::Error {
    jsonata_rs::Error::T0410ArgumentNotValid(ctx.char_index, index, ctx.name.to_string())
}

/// The first argument when it is a string; `None` when it is undefined (the
/// function then gives undefined); anything else is a bad argument.
pub(super) fn string_arg<'a>(
    ctx: &FunctionContext<'_, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<Option<&'a JValue<'a>>> {
    match args.first().copied().filter(|v| !v.is_undefined()) {
        None => Ok(None),
        Some(v) if v.is_string() => Ok(Some(v)),
        Some(_) => Err(bad_argument(ctx, 1)),
    }
}

/// An argument as an integer, truncated towards zero as AWS does.
pub(super) fn integer_arg(
    ctx: &FunctionContext<'_, '_>,
    args: &[&JValue<'_>],
    index: usize,
) -> jsonata_rs::Result<Option<f64>> {
    match args.get(index) {
        None => Ok(None),
        Some(v) if v.is_undefined() => Ok(None),
        Some(v) if v.is_number() && v.as_f64().is_finite() => Ok(Some(v.as_f64().trunc())),
        Some(_) => Err(bad_argument(ctx, index + 1)),
    }
}

pub(super) use sfn::MAX_RANGE;

/// The lowercase hex digest of `data` by one of Step Functions' `$hash`
/// algorithms; `None` for another name.
pub(super) fn digest(data: &str, algorithm: &str) -> Option<String> {
    use md5::Digest as _;
    let bytes = data.as_bytes();
    let digest: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        _ => return None,
    };
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

mod sfn {
    use super::*;

    /// The most elements `$range` builds (AWS refuses one more).
    pub const MAX_RANGE: f64 = 360_145.0;

    /// `$partition(array, size)`: chunks of `size`, the last one shorter.
    pub fn partition<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(array) = args.first().copied().filter(|v| !v.is_undefined()) else {
            return Ok(JValue::undefined());
        };
        let Some(size) = integer_arg(&ctx, args, 1)? else {
            return Ok(JValue::undefined());
        };
        let items = members_of(array);
        if size < 1.0 || items.is_empty() {
            return Ok(JValue::undefined());
        }
        let size = size.min(items.len() as f64) as usize;
        let out =
            JValue::array_with_capacity(ctx.arena, items.len().div_ceil(size), ArrayFlags::empty());
        for chunk in items.chunks(size) {
            let part = JValue::array_with_capacity(ctx.arena, chunk.len(), ArrayFlags::empty());
            for item in chunk {
                part.push(item);
            }
            out.push(part);
        }
        Ok(out)
    }

    /// `$range(start, end, step)`: `start`, `start + step`, ... up to `end`
    /// inclusive; a single value is returned bare, as on AWS.
    pub fn range<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let (Some(start), Some(end), Some(step)) = (
            integer_arg(&ctx, args, 0)?,
            integer_arg(&ctx, args, 1)?,
            integer_arg(&ctx, args, 2)?,
        ) else {
            return Ok(JValue::undefined());
        };
        if step == 0.0 || (end - start) * step < 0.0 {
            return Ok(JValue::undefined());
        }
        let count = ((end - start) / step).floor() + 1.0;
        if count > MAX_RANGE {
            return Err(jsonata_rs::Error::D2014RangeOutOfBounds(
                ctx.char_index,
                count as isize,
            ));
        }
        if count == 1.0 {
            return Ok(JValue::number(ctx.arena, start));
        }
        let out = JValue::array_with_capacity(ctx.arena, count as usize, ArrayFlags::empty());
        for i in 0..count as usize {
            out.push(JValue::number(ctx.arena, start + step * i as f64));
        }
        Ok(out)
    }

    /// `$hash(data, algorithm)`: the lowercase hex digest.
    pub fn hash<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let (Some(data), Some(algorithm)) = (
            args.first().copied().filter(|v| !v.is_undefined()),
            args.get(1).copied().filter(|v| !v.is_undefined()),
        ) else {
            return Ok(JValue::undefined());
        };
        if !data.is_string() {
            return Err(bad_argument(&ctx, 1));
        }
        if !algorithm.is_string() {
            return Err(bad_argument(&ctx, 2));
        }
        let Some(hex) = digest(&data.as_str(), &algorithm.as_str()) else {
            return Err(bad_argument(&ctx, 2));
        };
        Ok(JValue::string(ctx.arena, &hex))
    }

    /// `$random([seed])`: a number in `[0, 1)`; the same for the same seed.
    pub fn random<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        use rand::{Rng, SeedableRng};
        let value: f64 = match integer_arg(&ctx, args, 0)? {
            Some(seed) => rand::rngs::StdRng::seed_from_u64(seed as i64 as u64).random(),
            None => rand::rng().random(),
        };
        Ok(JValue::number(ctx.arena, value))
    }

    /// `$parse(text)`: the JSON value `text` holds.
    pub fn parse<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(text) = string_arg(&ctx, args)? else {
            return Ok(JValue::undefined());
        };
        match serde_json::from_str::<Value>(&text.as_str()) {
            Ok(value) => {
                let mut originals = HashMap::new();
                Ok(to_jsonata(ctx.arena, &value, &mut originals))
            }
            Err(e) => Err(jsonata_rs::Error::D3137Error(format!(
                "The argument of $parse is not valid JSON: {e}"
            ))),
        }
    }
}

mod std_fns {
    use super::*;

    pub(super) fn first<'a>(args: &[&'a JValue<'a>]) -> Option<&'a JValue<'a>> {
        args.first().copied().filter(|v| !v.is_undefined())
    }

    /// `$sift`/`$each`: `function($v, $k, $o)` (given as many arguments as it
    /// takes) called on each member of the object `args[0]` in order, `each`
    /// seeing the key, the value and the function's result. `Ok(false)` when
    /// the object is undefined; a wrong argument is the calling function's
    /// type error.
    fn for_each_member<'a>(
        ctx: &FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
        mut each: impl FnMut(&'a str, &'a JValue<'a>, &'a JValue<'a>),
    ) -> jsonata_rs::Result<bool> {
        let Some(object) = first(args) else {
            return Ok(false);
        };
        let function = args.get(1).copied().unwrap_or(JValue::undefined());
        if !function.is_function() {
            return Err(bad_argument(ctx, 2));
        }
        if !object.is_object() {
            return Err(bad_argument(ctx, 1));
        }
        let arity = function.arity();
        for (key, item) in ordered_entries(object) {
            let key_value: &'a JValue<'a> = JValue::string(ctx.arena, key);
            let call_args: Vec<&'a JValue<'a>> = [item, key_value, object]
                .into_iter()
                .take(arity.clamp(1, 3))
                .collect();
            let result = ctx.evaluate_function(function, &call_args)?;
            each(key, item, result);
        }
        Ok(true)
    }

    /// `$type(value)`: `"null"`, `"number"`, `"string"`, `"boolean"`, `"array"`,
    /// `"object"` or `"function"`; undefined for undefined.
    pub fn type_of<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let name = match value {
            JValue::Null => "null",
            JValue::Number(_) => "number",
            JValue::String(_) => "string",
            JValue::Bool(_) => "boolean",
            JValue::Array(..) | JValue::Range(..) => "array",
            JValue::Object(_) | JValue::Regex(_) => "object",
            _ => "function",
        };
        Ok(JValue::string(ctx.arena, name))
    }

    /// `$average(array)`: the mean of an array of numbers; undefined when empty.
    pub fn average<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let mut sum = 0.0;
        let mut count = 0usize;
        let members = members_of(value);
        for member in members {
            if !member.is_number() {
                return Err(jsonata_rs::Error::T0412ArgumentMustBeArrayOfType(
                    ctx.char_index,
                    1,
                    ctx.name.to_string(),
                    "number".to_string(),
                ));
            }
            sum += member.as_f64();
            count += 1;
        }
        if count == 0 {
            return Ok(JValue::undefined());
        }
        Ok(JValue::number(ctx.arena, sum / count as f64))
    }

    /// `$spread(object)`: an array of one-member objects.
    pub fn spread<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let out = JValue::array(ctx.arena, ArrayFlags::SEQUENCE);
        let members = members_of(value);
        for member in members {
            match member {
                JValue::Object(_) => {
                    for (key, item) in ordered_entries(member) {
                        let one = JValue::object_with_capacity(ctx.arena, 1);
                        one.insert(key, item);
                        out.push(one);
                    }
                }
                other => out.push(other),
            }
        }
        Ok(out)
    }

    /// `$sift(object, function($v, $k, $o))`: the members the function accepts.
    pub fn sift<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let out = JValue::object(ctx.arena);
        let mut kept = 0;
        let called = for_each_member(&ctx, args, |key, item, keep| {
            if keep.is_truthy() {
                out.insert(key, item);
                kept += 1;
            }
        })?;
        if !called || kept == 0 {
            return Ok(JValue::undefined());
        }
        Ok(out)
    }

    /// `$keys(object)`: member names in order; for an array of objects, the distinct
    /// names of all of them.
    pub fn keys<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let mut names: Vec<&'a str> = Vec::new();
        for member in members_of(value) {
            if member.is_object() {
                for (key, _) in ordered_entries(member) {
                    if !names.contains(&key) {
                        names.push(key);
                    }
                }
            }
        }
        if names.is_empty() {
            return Ok(JValue::undefined());
        }
        if names.len() == 1 {
            return Ok(JValue::string(ctx.arena, names[0]));
        }
        let out = JValue::array_with_capacity(ctx.arena, names.len(), ArrayFlags::empty());
        for name in names {
            out.push(JValue::string(ctx.arena, name));
        }
        Ok(out)
    }

    /// `$each(object, function($v, $k, $o))`: the function's results, in member order.
    pub fn each<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let out = JValue::array(ctx.arena, ArrayFlags::SEQUENCE);
        let called = for_each_member(&ctx, args, |_, _, result| {
            if !result.is_undefined() {
                out.push(result);
            }
        })?;
        if !called {
            return Ok(JValue::undefined());
        }
        Ok(out)
    }

    /// `$substring(text, start[, length])`, by characters; a negative `start`
    /// counts from the end.
    pub fn substring<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(text) = string_arg(&ctx, args)? else {
            return Ok(JValue::undefined());
        };
        let chars: Vec<char> = text.as_str().chars().collect();
        let len = chars.len() as f64;
        let start = match args.get(1) {
            Some(v) if v.is_number() && !v.as_f64().is_nan() => v.as_f64().trunc(),
            _ => return Err(bad_argument(&ctx, 2)),
        };
        let start = if start < 0.0 {
            (len + start).max(0.0)
        } else {
            start.min(len)
        };
        let end = match args.get(2).filter(|v| !v.is_undefined()) {
            None => len,
            Some(v) if v.is_number() && !v.as_f64().is_nan() => {
                (start + v.as_f64().trunc().max(0.0)).min(len)
            }
            Some(_) => return Err(bad_argument(&ctx, 3)),
        };
        let piece: String = chars[start as usize..(end as usize).max(start as usize)]
            .iter()
            .collect();
        Ok(JValue::string(ctx.arena, &piece))
    }

    /// `$pad(text, width[, char])`: padded to `|width|` characters, on the right
    /// for a positive width, on the left for a negative one.
    pub fn pad<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(text) = string_arg(&ctx, args)? else {
            return Ok(JValue::undefined());
        };
        let width = match args.get(1) {
            Some(v) if v.is_number() && v.as_f64().is_finite() => v.as_f64().trunc(),
            _ => return Err(bad_argument(&ctx, 2)),
        };
        let fill: String = match args.get(2).filter(|v| !v.is_undefined()) {
            None => " ".to_owned(),
            Some(v) if v.is_string() && !v.as_str().is_empty() => v.as_str().into_owned(),
            Some(_) => return Err(bad_argument(&ctx, 3)),
        };
        if width.abs() > MAX_STRING_CHARS as f64 {
            return Err(memory_limit());
        }
        let text = text.as_str();
        let missing = (width.abs() as usize).saturating_sub(text.chars().count());
        let padding: String = fill.chars().cycle().take(missing).collect();
        let padded = if width < 0.0 {
            format!("{padding}{text}")
        } else {
            format!("{text}{padding}")
        };
        Ok(JValue::string(ctx.arena, &padded))
    }

    /// The original of a guarded function (see `GUARDED`).
    pub(super) fn original<'a>(
        ctx: &FunctionContext<'a, '_>,
        name: &str,
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        ctx.frame
            .lookup(&format!("__asl_jsonata_{name}"))
            .filter(|f| f.is_function())
            .ok_or(jsonata_rs::Error::T1006InvokedNonFunction(ctx.char_index))
    }

    /// `$round(number[, precision])`, checked, then JSONata's.
    pub fn round<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        // Without arguments, the context item is the number (`items.$round()`).
        let number = if args.is_empty() { ctx.input } else { args[0] };
        if number.is_undefined() {
            return Ok(JValue::undefined());
        }
        if !number.is_number() {
            return Err(bad_argument(&ctx, 1));
        }
        let mut call = vec![number];
        if let Some(precision) = args.get(1).copied().filter(|v| !v.is_undefined()) {
            if !precision.is_integer() {
                return Err(bad_argument(&ctx, 2));
            }
            call.push(precision);
        }
        if args.len() > 2 {
            return Err(bad_argument(&ctx, 3));
        }
        let function = original(&ctx, "round")?;
        ctx.evaluate_function(function, &call)
    }

    /// `$now([picture[, timezone]])`, checked, then JSONata's.
    pub fn now<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        if args.len() > 2 {
            return Err(bad_argument(&ctx, 3));
        }
        let mut call: Vec<&'a JValue<'a>> = Vec::new();
        for (index, arg) in args.iter().enumerate() {
            if !arg.is_undefined() && !arg.is_string() {
                return Err(bad_argument(&ctx, index + 1));
            }
        }
        let defined = |i: usize| args.get(i).copied().filter(|v| !v.is_undefined());
        match (defined(0), defined(1)) {
            (None, None) => {}
            (Some(picture), None) => call.push(picture),
            (picture, Some(timezone)) => {
                call.push(picture.unwrap_or_else(|| JValue::string(ctx.arena, "")));
                call.push(timezone);
            }
        }
        let function = original(&ctx, "now")?;
        ctx.evaluate_function(function, &call)
    }

    /// `$string(value[, pretty])`: JSONata's, but a number from 1e21 up is written
    /// as JavaScript (and AWS) write it, `1e+21`, where jsonata-rs writes `1e21`.
    pub fn string<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        if let Some(number) = first(args).filter(|v| v.is_number())
            && number.as_f64().is_finite()
            && number.as_f64().abs() >= 1e21
        {
            let text = format!("{:e}", number.as_f64()).replace("e", "e+");
            return Ok(JValue::string(ctx.arena, &text));
        }
        let function = original(&ctx, "string")?;
        ctx.evaluate_function(function, args)
    }

    /// `$shuffle(array)`: the members in random order.
    pub fn shuffle<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        use rand::seq::SliceRandom;
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let mut members = members_of(value);
        members.shuffle(&mut rand::rng());
        let out = JValue::array_with_capacity(ctx.arena, members.len(), ArrayFlags::empty());
        for member in members {
            out.push(member);
        }
        Ok(out)
    }

    /// `$formatNumber(number, picture, options)` (see
    /// [`super::super::number_picture`]).
    pub fn format_number<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some((value, picture)) = number_and_picture(&ctx, args)? else {
            return Ok(JValue::undefined());
        };
        let mut options = Vec::new();
        match args.get(2).copied().filter(|v| !v.is_undefined()) {
            None => {}
            Some(object @ JValue::Object(_)) => {
                for (key, item) in ordered_entries(object) {
                    if !item.is_string() {
                        return Err(bad_argument(&ctx, 3));
                    }
                    options.push((key.to_owned(), item.as_str().to_string()));
                }
            }
            Some(_) => return Err(bad_argument(&ctx, 3)),
        }
        formatted(
            &ctx,
            super::super::number_picture::format_number(value, &picture.as_str(), &options),
        )
    }

    /// `$formatInteger(number, picture)` (see [`super::super::integer_picture`]).
    pub fn format_integer<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some((value, picture)) = number_and_picture(&ctx, args)? else {
            return Ok(JValue::undefined());
        };
        formatted(
            &ctx,
            super::integer_picture::format_integer(value, &picture.as_str()),
        )
    }

    /// `$parseInteger(string, picture)`: undefined when the string does not
    /// follow the picture.
    pub fn parse_integer<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(text) = string_arg(&ctx, args)? else {
            return Ok(JValue::undefined());
        };
        let picture = picture_arg(&ctx, args)?;
        match super::integer_picture::parse_integer(&text.as_str(), &picture.as_str()) {
            Ok(Some(n)) => Ok(JValue::number(ctx.arena, n)),
            Ok(None) => Ok(JValue::undefined()),
            Err(e) => Err(coded(e.code, &e.message)),
        }
    }

    /// The text a picture formatted, or its D30xx error.
    fn formatted<'a>(
        ctx: &FunctionContext<'a, '_>,
        text: Result<String, super::integer_picture::PictureError>,
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        match text {
            Ok(text) => Ok(JValue::string(ctx.arena, &text)),
            Err(e) => Err(coded(e.code, &e.message)),
        }
    }

    /// The arguments of `$formatNumber` and `$formatInteger`: a finite number
    /// (nothing when it is undefined) and a picture string.
    fn number_and_picture<'a>(
        ctx: &FunctionContext<'_, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<Option<(f64, &'a JValue<'a>)>> {
        let Some(value) = first(args) else {
            return Ok(None);
        };
        if !value.is_number() || !value.as_f64().is_finite() {
            return Err(bad_argument(ctx, 1));
        }
        Ok(Some((value.as_f64(), picture_arg(ctx, args)?)))
    }

    /// The picture string, the second argument of `$formatNumber`,
    /// `$formatInteger` and `$parseInteger`.
    fn picture_arg<'a>(
        ctx: &FunctionContext<'_, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        match args.get(1) {
            Some(p) if p.is_string() => Ok(p),
            _ => Err(bad_argument(ctx, 2)),
        }
    }

    /// `$formatBase(number, radix)`: the number (rounded) in base 2..36.
    pub fn format_base<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        if !value.is_number() || !value.as_f64().is_finite() {
            return Err(bad_argument(&ctx, 1));
        }
        let radix = match args.get(1).filter(|v| !v.is_undefined()) {
            None => 10.0,
            Some(r) if r.is_number() => r.as_f64(),
            Some(_) => return Err(bad_argument(&ctx, 2)),
        };
        if !(2.0..=36.0).contains(&radix) {
            return Err(jsonata_rs::Error::D3137Error(format!(
                "The radix of the formatBase function must be between 2 and 36.  It was given {radix}"
            )));
        }
        let radix = radix as u32;
        let n = value.as_f64().round();
        let negative = n < 0.0;
        let mut magnitude = n.abs();
        let mut digits = Vec::new();
        loop {
            let digit = (magnitude % radix as f64) as u32;
            digits.push(std::char::from_digit(digit, radix).unwrap_or('0'));
            magnitude = (magnitude / radix as f64).floor();
            if magnitude < 1.0 {
                break;
            }
        }
        if negative {
            digits.push('-');
        }
        let text: String = digits.into_iter().rev().collect();
        Ok(JValue::string(ctx.arena, &text))
    }

    pub(super) fn encode<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
        keep: &str,
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = string_arg(&ctx, args)? else {
            return Ok(JValue::undefined());
        };
        let mut out = String::new();
        for byte in value.as_str().bytes() {
            if byte.is_ascii_alphanumeric() || keep.as_bytes().contains(&byte) {
                out.push(byte as char);
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        Ok(JValue::string(ctx.arena, &out))
    }

    /// `$encodeUrlComponent(text)`, as JavaScript's `encodeURIComponent`.
    pub fn encode_url_component<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        encode(ctx, args, "-_.!~*'()")
    }

    /// `$encodeUrl(text)`, as JavaScript's `encodeURI`.
    pub fn encode_url<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        encode(ctx, args, "-_.!~*'();/?:@&=+$,#")
    }

    /// `$decodeUrl(text)` and `$decodeUrlComponent(text)`: `%XX` escapes decoded as
    /// UTF-8; a malformed escape is an error, as in JavaScript.
    pub fn decode_url<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = string_arg(&ctx, args)? else {
            return Ok(JValue::undefined());
        };
        let text = value.as_str();
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => return Err(malformed_uri()),
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        match String::from_utf8(out) {
            Ok(decoded) => Ok(JValue::string(ctx.arena, &decoded)),
            Err(_) => Err(malformed_uri()),
        }
    }

    pub(super) fn memory_limit() -> jsonata_rs::Error {
        jsonata_rs::Error::D3137Error("Expression evaluation memory limit exceeded".to_string())
    }

    pub(super) fn malformed_uri() -> jsonata_rs::Error {
        jsonata_rs::Error::D3137Error("URI malformed".to_string())
    }
}
