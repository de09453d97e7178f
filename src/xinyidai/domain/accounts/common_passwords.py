"""Common and breached passwords refused for new accounts, beside zxcvbn's own lists.

zxcvbn already knows the 30,000 most frequent passwords of the big English-language leaks. This
list adds what it under-rates for this platform's users: the top passwords of the Chinese leaks
(CSDN, 163/126, 12306, Tianya; pinyin and number patterns such as ``woaini1314``), long keyboard
and number runs, and the usual ten-character padding of common words. Entries are lower case;
a password is refused when its lower-case form, or that form with everything but letters and
digits removed, is listed.
"""

from __future__ import annotations

# One string split on whitespace: a short file to read and to extend.
COMMON_PASSWORDS = frozenset(
    """
    123456 12345678 123456789 1234567890 12345678910 123456789a a123456789 0123456789
    1234567891 12345678900 11111111 111111111 1111111111 00000000 000000000 0000000000
    88888888 888888888 8888888888 66666666 666666666 6666666666 22222222 99999999 55555555
    11223344 1122334455 112233445566 12344321 123321123 123123123 1231231231 12121212
    1212121212 147258369 1472583690 147852369 123654789 987654321 9876543210 87654321
    789456123 7894561230 741852963 159753456 159357456 31415926 314159265 3141592653
    5201314 52013145201314 5201314520 1314520 13145201314520 woaini1314 woaini520 iloveyou1314
    woaini woaini123 woaini1234 woaini12345 woaini123456 woainima woainimama woaiwojia
    aini1314 wangyang wangjian wanglei zhangwei zhanglei liuyang dearbook xiazhili
    qq123456 qq1234567 qq12345678 qqqqqqqq qqqqqqqqqq qwertyui qwertyuiop qwerty123 qwerty1234
    qwerty12345 qwertyuiop123 1qaz2wsx 1qaz2wsx3edc 1qaz@wsx 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y
    q1w2e3r4 q1w2e3r4t5 qazwsxedc qazwsxedcrfv qazwsx123 zxcvbnm zxcvbnm123 zxcvbnm1234
    asdfghjkl asdfghjkl123 asdf1234 asdfasdf asdasdasd asd123456 aaaaaaaa aaaaaaaaaa
    abcd1234 abcd12345 abcd123456 abc123456 abc1234567 abc12345678 abcdefg123 a1234567
    a12345678 a1b2c3d4 a1b2c3d4e5 aa123456 aa12345678 123456aa 123456abc 123456qq 1234qwer
    12341234 123456123 110110110 123qweasd 123qweasdzxc qweasdzxc qweasd123 zaq12wsx
    password password1 password12 password123 password1234 password12345 passw0rd p@ssw0rd
    p@ssword pa55word password! password!1 passwordpassword mypassword letmein letmein123
    iloveyou iloveyou1 iloveyou123 iloveyou12 welcome welcome1 welcome123 welcome1234
    admin admin123 admin1234 admin12345 admin123456 administrator root123456 test123456
    changeme changeme123 default123 guest12345 secret123 master123 dragon123 monkey123
    football football123 baseball sunshine sunshine123 princess princess123 shadow123
    superman superman123 starwars michael123 charlie123 trustno1 whatever123 freedom123
    computer computer123 internet internet123 1234567890qwe qwe123456 qwe1234567
    china123 china1234 zhongguo zhongguo123 beijing beijing123 shanghai shanghai123
    guangzhou guangzhou123 shenzhen shenzhen123 aoyun2008 beijing2008 xinyidai xinyidai123
    xinyidai2026 xinyidai12345 credit123 bank123456 company123 gongsi123 qiye123456
    """.split()  # noqa: SIM905
)
