//! The kinds of repair the conversion reports, one import-log line each
//! (`cargo xtask import … --verbose` prints `file:line: what`, and the summary counts each kind).

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What the conversion did about a defect of the description (or noticed in it).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum RepairKind {
            $($(#[$doc])* $variant,)*
        }

        impl RepairKind {
            /// The kind as the import log names it.
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(RepairKind::$variant => $name,)*
                }
            }
        }
    };
}

kinds! {
    // The document's shape: keys, mappings, keywords written wrong (read as meant, or ignored).
    BadKey = "bad-key",
    BadDescription = "bad-description",
    KeywordTypo = "keyword-typo",
    NotAMapping = "not-a-mapping",
    PathLevelKey = "path-level-key",
    MethodCase = "method-case",
    SummaryMissing = "summary-missing",
    UnknownKeyword = "unknown-keyword",
    Yaml11Scalar = "yaml11-scalar",

    // Types and formats: `type: number` read as integer or float, a value in `type`, missing or unknown types.
    BadType = "bad-type",
    BadFormat = "bad-format",
    TypeIsValue = "type-is-value",
    NumberFloat = "number-float",
    NumberInteger = "number-integer",
    Untyped = "untyped",
    EmptySchema = "empty-schema",
    BadSchema = "bad-schema",
    FreeFormObject = "free-form-object",
    BinarySchema = "binary-schema",
    OneOf = "one-of",
    XJson = "x-json",

    // Objects and arrays: properties, items, `$ref` and `allOf`.
    BadProperties = "bad-properties",
    PropertiesNull = "properties-null",
    MisindentedProperty = "misindented-property",
    FieldCollision = "field-collision",
    ArrayNoItems = "array-no-items",
    BadItems = "bad-items",
    ItemsOnNonArray = "items-on-non-array",
    BadRef = "bad-ref",
    RefNoSlash = "ref-no-slash",
    RefSibling = "ref-sibling",
    AllofConflict = "allof-conflict",
    AllofMerge = "allof-merge",
    AllofEnumUnion = "allof-enum-union",

    // Enums.
    BadEnum = "bad-enum",
    EnumDuplicate = "enum-duplicate",
    EnumNumberInteger = "enum-number-integer",
    EnumTypeMismatch = "enum-type-mismatch",
    EnumValue = "enum-value",

    // Required-ness: the description's flags read, and the response rule.
    BadRequired = "bad-required",
    RequiredBool = "required-bool",
    RequiredNull = "required-null",
    RequiredScalar = "required-scalar",
    RequiredUnknown = "required-unknown",
    ResponseOptional = "response-optional",

    // Sensitive (encrypted) fields.
    BadSensitive = "bad-sensitive",
    SensitiveBase64 = "sensitive-base64",
    SensitiveSelf = "sensitive-self",
    SensitiveUnknown = "sensitive-unknown",

    // Operations: parameters, path placeholders, headers, bodies and responses.
    BadParameter = "bad-parameter",
    PathParamEnum = "path-param-enum",
    PathParamExtra = "path-param-extra",
    PathParamInQuery = "path-param-in-query",
    PathParamMissing = "path-param-missing",
    PathParamRenamed = "path-param-renamed",
    PathParamType = "path-param-type",
    HeaderType = "header-type",
    TransportHeader = "transport-header",
    BaseUrlSlash = "base-url-slash",
    BodyOn204 = "body-on-204",
    BodyWithoutSchema = "body-without-schema",
    DuplicateBody = "duplicate-body",
    MultipartBody = "multipart-body",
    NoResponses = "no-responses",

    // APIv2 (XML) operations.
    V2Either = "v2-either",
    V2File = "v2-file",
    V2Header = "v2-header",
    V2Protocol = "v2-protocol",
    V2ResponseOptional = "v2-response-optional",
    V2Sensitive = "v2-sensitive",
    V2SignType = "v2-sign-type",
    V2Unsigned = "v2-unsigned",
}
