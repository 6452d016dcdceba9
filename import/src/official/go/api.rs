//! `api_*.go`: one operation per function that builds a request.

use super::*;

/// One top-level `func` of a file.
pub(super) struct FuncBlock<'a> {
    /// 1-based line of `func`.
    pub(super) line: usize,
    pub(super) name: String,
    /// The signature lines joined (up to the opening `{`).
    pub(super) signature: String,
    /// (1-based line, text) of the body.
    pub(super) body: Vec<(usize, &'a str)>,
    /// The first line of the doc comment above, without `//`.
    pub(super) doc: Option<&'a str>,
}

/// The top-level functions: from a line starting `func ` to the next line that is `}`.
pub(super) fn func_blocks<'a>(lines: &[&'a str]) -> Vec<FuncBlock<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("func ") {
            i += 1;
            continue;
        }
        let start = i;
        let mut signature = String::new();
        while i < lines.len() {
            signature.push_str(lines[i].trim());
            i += 1;
            if signature.ends_with('{') {
                break;
            }
        }
        let body_start = i;
        while i < lines.len() && lines[i].trim_end() != "}" {
            i += 1;
        }
        out.push(FuncBlock {
            line: start + 1,
            name: func_name(&signature).unwrap_or_default(),
            body: (body_start..i).map(|k| (k + 1, lines[k])).collect(),
            doc: doc_first_line(lines, start),
            signature,
        });
    }
    out
}

/// `func (a *X) Name(` → `Name`; `func Name(` → `Name`.
pub(super) fn func_name(signature: &str) -> Option<String> {
    let rest = signature.strip_prefix("func")?.trim_start();
    let rest = match rest.strip_prefix('(') {
        Some(r) => r.split_once(')')?.1.trim_start(),
        None => rest,
    };
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The first line of the `//` block that ends just above line index `func_idx`.
pub(super) fn doc_first_line<'a>(lines: &[&'a str], func_idx: usize) -> Option<&'a str> {
    let mut k = func_idx;
    while k > 0 && lines[k - 1].starts_with("//") {
        k -= 1;
    }
    (k < func_idx).then(|| lines[k].trim_start_matches('/').trim())
}

/// The operations of one `api_*.go` of the package in `folder`.
pub(super) fn parse_api(folder: &str, file: &Path, text: &str) -> Result<Vec<ParsedOp>, ReadError> {
    let lines: Vec<&str> = text.lines().collect();
    let imports = Imports::read(&lines);
    let scope = Scope {
        folder,
        imports: &imports,
    };
    let mut ops = Vec::new();
    for block in func_blocks(&lines) {
        let is_op = block
            .body
            .iter()
            .any(|(_, l)| l.trim_start().starts_with("localVarPath :="));
        if is_op {
            ops.push(operation(&block, &scope, file)?);
        }
    }
    Ok(ops)
}

/// Reads one operation function.
pub(super) fn operation(block: &FuncBlock<'_>, scope: &Scope<'_>, file: &Path) -> Result<ParsedOp, ReadError> {
    let err = |n: usize, m: String| ReadError::parse(file, n, m);
    let summary = block
        .doc
        .and_then(|d| d.strip_prefix(block.name.as_str()))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let request = match request_param(&block.signature, &block.name) {
        Some(t) => Some(scope.type_ref(t).map_err(|m| err(block.line, m))?),
        None => None,
    };
    let mut b = OpBuilder {
        op: GoOperation {
            package: scope.folder.to_owned(),
            name: block.name.clone(),
            file: file.to_path_buf(),
            line: block.line,
            method: String::new(),
            path: String::new(),
            path_params: Vec::new(),
            query: Vec::new(),
            request,
            body: None,
            body_excludes: Vec::new(),
            response: None,
            encrypts: false,
            summary,
        },
        body_is_request: false,
    };
    for &(n, l) in &block.body {
        b.line(l.trim(), scope).map_err(|m| err(n, m))?;
    }
    if b.op.method.is_empty() || b.op.path.is_empty() {
        let m = format!("operation {} without HTTP method or URL", block.name);
        return Err(err(block.line, m));
    }
    Ok((b.op, b.body_is_request))
}

/// The type of the `req` parameter of `Name(ctx context.Context, req T)`.
pub(super) fn request_param<'a>(signature: &'a str, name: &str) -> Option<&'a str> {
    let params = signature.split_once(&format!("{name}("))?.1.split_once(')')?.0;
    params
        .split(',')
        .find_map(|p| p.trim().strip_prefix("req "))
        .map(str::trim)
}

pub(super) struct OpBuilder {
    pub(super) op: GoOperation,
    pub(super) body_is_request: bool,
}

impl OpBuilder {
    /// One (trimmed) line of an operation's body.
    pub(super) fn line(&mut self, l: &str, scope: &Scope<'_>) -> Result<(), String> {
        let op = &mut self.op;
        if l.starts_with("localVarHTTPMethod ") && l.contains('=') {
            op.method = http_method(l).ok_or("cannot read the HTTP method")?;
        } else if l.starts_with("localVarPath :=") {
            op.path = string_literals(l).pop().ok_or("cannot read the URL")?;
        } else if l.starts_with("localVarPath = strings.Replace(") {
            op.path_params
                .push(path_param(l).ok_or("cannot read the path parameter")?);
        } else if l.starts_with("localVarQueryParams.Add(") {
            op.query.push(query_param(l).ok_or("cannot read the query parameter")?);
        } else if let Some(rest) = l.strip_prefix("localVarPostBody = ") {
            self.body(rest.trim(), scope)?;
        } else if l.starts_with("localVarHeaderParams.Set(") && l.contains("WechatPaySerial") {
            op.encrypts = true;
        } else if let Some(rest) = l.strip_prefix("resp = new(") {
            let ty = rest.strip_suffix(')').ok_or("cannot read the response type")?;
            op.response = Some(scope.type_ref(ty)?);
        }
        Ok(())
    }

    /// `req` or `&Body{`.
    pub(super) fn body(&mut self, rest: &str, scope: &Scope<'_>) -> Result<(), String> {
        if rest == "req" {
            self.op.body = self.op.request.clone();
            self.body_is_request = true;
            return Ok(());
        }
        let ty = rest
            .strip_suffix('{')
            .ok_or_else(|| format!("cannot read the body `{rest}`"))?;
        self.op.body = Some(scope.type_ref(ty)?);
        Ok(())
    }
}

/// `localVarHTTPMethod = nethttp.MethodPost` → `POST`.
pub(super) fn http_method(l: &str) -> Option<String> {
    let name = l.split_once(".Method")?.1;
    let name: String = name.chars().take_while(char::is_ascii_alphabetic).collect();
    (!name.is_empty()).then(|| name.to_ascii_uppercase())
}

/// `strings.Replace(localVarPath, "{"+"out_trade_no"+"}", …(*req.OutTradeNo, "")…)`.
pub(super) fn path_param(l: &str) -> Option<Param> {
    let literals = string_literals(l);
    let wire = match literals.as_slice() {
        [open, wire, close, ..] if open == "{" && close == "}" => wire.clone(),
        _ => return None,
    };
    Some(Param {
        wire,
        go_field: req_field(l)?,
    })
}

/// `localVarQueryParams.Add("mchid", core.ParameterToString(*req.Mchid, ""))`.
pub(super) fn query_param(l: &str) -> Option<Param> {
    Some(Param {
        wire: string_literals(l).into_iter().next()?,
        go_field: req_field(l)?,
    })
}

/// The field name after `req.` (not part of a longer name such as `encReq.`).
pub(super) fn req_field(l: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = l[from..].find("req.") {
        let at = from + i;
        let before = l[..at].chars().next_back();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            let field: String = l[at + 4..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            return (!field.is_empty()).then_some(field);
        }
        from = at + 4;
    }
    None
}
