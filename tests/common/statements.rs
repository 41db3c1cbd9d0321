//! Statements written by hand from the formats' descriptions, shared by the import tests.

/// An Alipay export of `closed` closed top-ups of China Unicom (skipped), `other` top-ups
/// of a number nobody configured (unmatched), and `twins` identical top-ups without an
/// order number (the second and later listed as duplicates).
pub fn unusable_alipay_rows(closed: usize, other: usize, twins: usize) -> Vec<u8> {
    let mut s = String::from(
        "\u{feff}支付宝交易记录明细查询\n---------------------------------交易记录明细列表------------------------------------\n交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,收/付款方式,交易状态,交易订单号,商家订单号,备注,\n",
    );
    for i in 0..closed {
        s.push_str(&format!(
            "2026-11-05 09:{:02}:{:02} ,充值缴费 ,中国联通 ,cucc***@example.com ,手机充值 130****5678 ,支出 ,30.00 ,余额宝 ,交易关闭 ,C{i:08}\t,M{i}\t, ,\n",
            i / 60 % 60,
            i % 60
        ));
    }
    for i in 0..other {
        s.push_str(&format!(
            "2026-11-12 08:{:02}:{:02} ,充值缴费 ,中国电信 ,ct***@example.com ,话费充值 189****0000 ,支出 ,50.00 ,余额宝 ,交易成功 ,U{i:08}\t,N{i}\t, ,\n",
            i / 60 % 60,
            i % 60
        ));
    }
    for _ in 0..twins {
        s.push_str("2026-11-20 08:00:00 ,充值缴费 ,中国联通 ,cucc***@example.com ,手机充值 130****5678 ,支出 ,20.00 ,余额宝 ,交易成功 ,\t,\t, ,\n");
    }
    s.into_bytes()
}
