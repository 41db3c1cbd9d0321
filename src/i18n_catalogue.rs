// The catalogue: every user-visible string, English then Simplified Chinese.
// `{0}`, `{1}`, … are filled by `tr!`; both forms must use the same placeholders.
catalogue! {
    // ---- money
    MoneyEmpty => "no amount given", "未填写金额";
    MoneyNotANumber => "\"{0}\" is not an amount (try 10 or 10.50)", "“{0}”不是金额（例如 10 或 10.50）";
    MoneyNegative => "\"{0}\" is negative; amounts must be zero or more", "“{0}”是负数；金额不能小于零";
    MoneyTooManyDecimals => "\"{0}\" has more decimals than {1} allows ({2})", "“{0}”的小数位超过 {1} 允许的位数（{2} 位）";
    MoneyTooLarge => "\"{0}\" is too large (at most {1})", "“{0}”太大（最多 {1}）";
    MoneyUnknownCurrency => "\"{0}\" is not a currency code baohao knows", "“{0}”不是可识别的货币代码";
    MoneyWrongCurrency => "\"{0}\" is not in {1}, this number's currency", "“{0}”不是本号码的货币 {1}";
    // ---- rules
    ModeAuto => "auto", "自动";
    ModeRemind => "remind", "提醒";
    KindMonthly => "monthly", "每月";
    KindLowBalance => "low balance", "余额不足";
    KindBeforeExpiry => "before expiry", "到期前";
    KindKeepAlive => "keep alive", "保活";
    DescMonthly => "on the {0} of each month at {1}, top up {2}", "每月{0} {1} 充值 {2}";
    DescMonthlyLast => "on the last day of each month at {0}, top up {1}", "每月最后一天 {0} 充值 {1}";
    DescLowBalance => "when the balance is below {0}, top up {1}", "余额低于 {0} 时充值 {1}";
    DescBeforeExpiry => "{0} days before validity ends, top up {1}", "有效期结束前 {0} 天充值 {1}";
    DescKeepAlive => "every {0} days without activity, top up {1}", "每 {0} 天无活动时充值 {1}";
    // ---- log lines
    LineJson => "not valid JSON ({0})", "不是有效的 JSON（{0}）";
    LineMissing => "the field \"{0}\" is missing", "缺少字段“{0}”";
    LineInvalid => "the field \"{0}\" has an invalid value \"{1}\"", "字段“{0}”的值“{1}”无效";
    LogBadLine => "{0}:{1}: skipped a line: {2}", "{0}:{1}：已跳过一行：{2}";
    LogTornTail => "{0}:{1}: the last line is incomplete ({2} bytes, an interrupted write); it is ignored and will be cut off before the next entry", "{0}:{1}：最后一行不完整（{2} 字节，写入被中断）；已忽略，下次写入前会截去";
    // ---- files
    IoFailed => "could not {0} {1}: {2}", "无法{0} {1}：{2}";
    WhatCreate => "create", "创建";
    WhatRead => "read", "读取";
    WhatWrite => "write", "写入";
    WhatOpen => "open", "打开";
    WhatLock => "lock", "锁定";
    NoConfigDir => "cannot tell where your config directory is; pass --home DIR or set BAOHAO_HOME", "无法确定配置目录；请使用 --home DIR 或设置 BAOHAO_HOME";
    NoConfig => "there is no config at {0}; run `baohao init` to write one (or try `baohao --demo`)", "{0} 处没有配置文件；运行 `baohao init` 创建（或试试 `baohao --demo`）";
    // ---- config
    CfgVersion => "version {0} is not supported (this baohao reads version 1)", "不支持版本 {0}（本程序读取版本 1）";
    CfgTimezone => "\"{0}\" is not an IANA time zone (like Asia/Shanghai or Europe/London)", "“{0}”不是 IANA 时区（如 Asia/Shanghai 或 Europe/London）";
    CfgRange => "{0} is out of range ({1} to {2})", "{0} 超出范围（{1} 到 {2}）";
    CfgDeadlineDays => "urgent must be at most warn, and warn at most 3650", "urgent 不能大于 warn，warn 不能大于 3650";
    CfgChoice => "\"{0}\" is not one of: {1}", "“{0}”不是以下之一：{1}";
    CfgDuplicateId => "the id \"{0}\" is used twice", "id“{0}”重复";
    CfgSlug => "\"{0}\" is not a valid id (1 to 32 letters, digits, - or _)", "“{0}”不是有效的 id（1–32 个字母、数字、- 或 _）";
    CfgLabel => "the label is empty or has control characters", "标签为空或含有控制字符";
    CfgMsisdn => "\"{0}\" is not an E.164 number (like +447700900123)", "“{0}”不是 E.164 号码（如 +447700900123）";
    CfgFieldNotForKind => "the field \"{0}\" does not apply to kind \"{1}\"", "字段“{0}”不适用于类型“{1}”";
    CfgRequired => "this field is required", "此字段必填";
    CfgZeroAmount => "the amount must be more than zero", "金额必须大于零";
    CfgDay => "{0} is not a day of the month (1 to 31, or \"last\")", "{0} 不是有效的日期（1–31 或 \"last\"）";
    CfgHhmm => "\"{0}\" is not a time (HH:MM, 24-hour)", "“{0}”不是时间（HH:MM，24 小时制）";
    CfgMoreProblems => "({0} more; run `baohao validate` to see them all)", "（另有 {0} 处问题；运行 `baohao validate` 查看全部）";
    CfgConflict => "{0} was changed by another program since it was read; your edit was not saved, the file has been reloaded", "{0} 在读取后被其他程序修改；你的修改未保存，已重新加载该文件";
    // ---- lock
    LockHeldPid => "another baohao worker (pid {0}) is already running for these files", "已有另一个 baohao 工作进程（pid {0}）在处理这些文件";
    LockHeld => "another baohao worker is already running for these files", "已有另一个 baohao 工作进程在处理这些文件";
}
