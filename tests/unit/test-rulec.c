/*
 * Rule text compiler (common/rulec.h, spec/vl2.md §7.9).
 *
 * vectors/rules.json: every rule set's "dsl" must compile to exactly its
 * "compiled" JSON, whose rules must then encode (common/rules.h) to the
 * set's "rules_binary" and "capabilities_binary".  The hand-written cases
 * cover every construct of the language and the reference compiler's
 * quirks; their expected JSON is what rule-compiler.js gives for them.
 * Error cases check line and column.
 */
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "rulec.h"
#include "rules.h"
#include "test.h"

struct rulec_ok_case {
	const char	*src;
	const char	*want;		/* compiled JSON */
};

struct rulec_err_case {
	const char	*src;
	unsigned int	 line, column;
};

static const struct rulec_ok_case ok_cases[] = {
	{
	    "accept ztsrc 89E92CEEE5;",
	    "{\"rules\":[{\"type\":\"MATCH_SOURCE_ZEROTIER_ADDRESS\",\"not"
	    "\":false,\"or\":false,\"zt\":\"89e92ceee5\"},{\"type\":\"ACTIO"
	    "N_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept ztdest 89:e9:2c:ee:e5;",
	    "{\"rules\":[{\"type\":\"MATCH_DEST_ZEROTIER_ADDRESS\",\"not\":"
	    "false,\"or\":false,\"zt\":\"89e92ceee5\"},{\"type\":\"ACTION_A"
	    "CCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "drop vlan 0x2a;",
	    "{\"rules\":[{\"type\":\"MATCH_VLAN_ID\",\"not\":false,\"or\":f"
	    "alse,\"vlanId\":42},{\"type\":\"ACTION_DROP\"}],\"capabilities"
	    "\":[],\"tags\":[]}" },
	{
	    "drop vlanpcp 7;",
	    "{\"rules\":[{\"type\":\"MATCH_VLAN_PCP\",\"not\":false,\"or\":"
	    "false,\"vlanPcp\":7},{\"type\":\"ACTION_DROP\"}],\"capabilitie"
	    "s\":[],\"tags\":[]}" },
	{
	    "drop vlandei 1;",
	    "{\"rules\":[{\"type\":\"MATCH_VLAN_DEI\",\"not\":false,\"or\":"
	    "false,\"vlanDei\":1},{\"type\":\"ACTION_DROP\"}],\"capabilitie"
	    "s\":[],\"tags\":[]}" },
	{
	    "accept ethertype 0x86DD or ethertype wol or ethertype rarp or "
	    "ethertype atalk or ethertype aarp or ethertype ipx_a or ethert"
	    "ype ipx_b;",
	    "{\"rules\":[{\"type\":\"MATCH_ETHERTYPE\",\"not\":false,\"or\""
	    ":false,\"etherType\":34525},{\"type\":\"MATCH_ETHERTYPE\",\"no"
	    "t\":false,\"or\":true,\"etherType\":2114},{\"type\":\"MATCH_ET"
	    "HERTYPE\",\"not\":false,\"or\":true,\"etherType\":32821},{\"ty"
	    "pe\":\"MATCH_ETHERTYPE\",\"not\":false,\"or\":true,\"etherType"
	    "\":32923},{\"type\":\"MATCH_ETHERTYPE\",\"not\":false,\"or\":t"
	    "rue,\"etherType\":33011},{\"type\":\"MATCH_ETHERTYPE\",\"not\""
	    ":false,\"or\":true,\"etherType\":33079},{\"type\":\"MATCH_ETHE"
	    "RTYPE\",\"not\":false,\"or\":true,\"etherType\":33080},{\"type"
	    "\":\"ACTION_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "drop macsrc 02AABBCCDDEE;",
	    "{\"rules\":[{\"type\":\"MATCH_MAC_SOURCE\",\"not\":false,\"or"
	    "\":false,\"mac\":\"02:aa:bb:cc:dd:ee\"},{\"type\":\"ACTION_DRO"
	    "P\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "drop macdest ff-ff-ff-ff-ff-ff-00;",
	    "{\"rules\":[{\"type\":\"MATCH_MAC_DEST\",\"not\":false,\"or\":"
	    "false,\"mac\":\"ff:ff:ff:ff:ff:ff\"},{\"type\":\"ACTION_DROP\""
	    "}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept ipsrc 10.0.0.0/8 and ipdest 10.147.17.1/32;",
	    "{\"rules\":[{\"type\":\"MATCH_IPV4_SOURCE\",\"not\":false,\"or"
	    "\":false,\"ip\":\"10.0.0.0/8\"},{\"type\":\"MATCH_IPV4_DEST\","
	    "\"not\":false,\"or\":false,\"ip\":\"10.147.17.1/32\"},{\"type"
	    "\":\"ACTION_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept ipdest 2001:db8::1/128 or ipsrc 1:2:3:4:5:6:7:8/64;",
	    "{\"rules\":[{\"type\":\"MATCH_IPV6_DEST\",\"not\":false,\"or\""
	    ":false,\"ip\":\"2001:db8::1/128\"},{\"type\":\"MATCH_IPV6_SOUR"
	    "CE\",\"not\":false,\"or\":true,\"ip\":\"1:2:3:4:5:6:7:8/64\"},"
	    "{\"type\":\"ACTION_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept iptos 0xff 10-20;",
	    "{\"rules\":[{\"type\":\"MATCH_IP_TOS\",\"not\":false,\"or\":fa"
	    "lse,\"mask\":255,\"start\":10,\"end\":20},{\"type\":\"ACTION_A"
	    "CCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept ipprotocol icmp4 or ipprotocol icmpv4 or ipprotocol igm"
	    "p or ipprotocol ipip or ipprotocol egp or ipprotocol igp or ip"
	    "protocol rdp or ipprotocol esp or ipprotocol ah or ipprotocol "
	    "icmp6 or ipprotocol icmpv6 or ipprotocol l2tp or ipprotocol sc"
	    "tp or ipprotocol udplite;",
	    "{\"rules\":[{\"type\":\"MATCH_IP_PROTOCOL\",\"not\":false,\"or"
	    "\":false,\"ipProtocol\":1},{\"type\":\"MATCH_IP_PROTOCOL\",\"n"
	    "ot\":false,\"or\":true,\"ipProtocol\":1},{\"type\":\"MATCH_IP_"
	    "PROTOCOL\",\"not\":false,\"or\":true,\"ipProtocol\":2},{\"type"
	    "\":\"MATCH_IP_PROTOCOL\",\"not\":false,\"or\":true,\"ipProtoco"
	    "l\":4},{\"type\":\"MATCH_IP_PROTOCOL\",\"not\":false,\"or\":tr"
	    "ue,\"ipProtocol\":8},{\"type\":\"MATCH_IP_PROTOCOL\",\"not\":f"
	    "alse,\"or\":true,\"ipProtocol\":9},{\"type\":\"MATCH_IP_PROTOC"
	    "OL\",\"not\":false,\"or\":true,\"ipProtocol\":27},{\"type\":\""
	    "MATCH_IP_PROTOCOL\",\"not\":false,\"or\":true,\"ipProtocol\":5"
	    "0},{\"type\":\"MATCH_IP_PROTOCOL\",\"not\":false,\"or\":true,"
	    "\"ipProtocol\":51},{\"type\":\"MATCH_IP_PROTOCOL\",\"not\":fal"
	    "se,\"or\":true,\"ipProtocol\":58},{\"type\":\"MATCH_IP_PROTOCO"
	    "L\",\"not\":false,\"or\":true,\"ipProtocol\":58},{\"type\":\"M"
	    "ATCH_IP_PROTOCOL\",\"not\":false,\"or\":true,\"ipProtocol\":11"
	    "5},{\"type\":\"MATCH_IP_PROTOCOL\",\"not\":false,\"or\":true,"
	    "\"ipProtocol\":132},{\"type\":\"MATCH_IP_PROTOCOL\",\"not\":fa"
	    "lse,\"or\":true,\"ipProtocol\":136},{\"type\":\"ACTION_ACCEPT"
	    "\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept icmp 3 4 icmp 0x8 -1;",
	    "{\"rules\":[{\"type\":\"MATCH_ICMP\",\"not\":false,\"or\":fals"
	    "e,\"icmpType\":3,\"icmpCode\":4},{\"type\":\"MATCH_ICMP\",\"no"
	    "t\":false,\"or\":false,\"icmpType\":8,\"icmpCode\":null},{\"ty"
	    "pe\":\"ACTION_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept sport 1024-65535 and dport 0x16;",
	    "{\"rules\":[{\"type\":\"MATCH_IP_SOURCE_PORT_RANGE\",\"not\":f"
	    "alse,\"or\":false,\"start\":1024,\"end\":65535},{\"type\":\"MA"
	    "TCH_IP_DEST_PORT_RANGE\",\"not\":false,\"or\":false,\"start\":"
	    "22,\"end\":22},{\"type\":\"ACTION_ACCEPT\"}],\"capabilities\":"
	    "[],\"tags\":[]}" },
	{
	    "accept chr tcp_fin,tcp_syn,tcp_rst,tcp_psh,tcp_ack,tcp_urg,tcp"
	    "_ece,tcp_cwr,tcp_ns,tcp_rs2,tcp_rs1,tcp_rs0;",
	    "{\"rules\":[{\"type\":\"MATCH_CHARACTERISTICS\",\"not\":false,"
	    "\"or\":false,\"mask\":\"0000000000000fff\"},{\"type\":\"ACTION"
	    "_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept chr multicast,broadcast,ipauth,macauth;",
	    "{\"rules\":[{\"type\":\"MATCH_CHARACTERISTICS\",\"not\":false,"
	    "\"or\":false,\"mask\":\"7800000000000000\"},{\"type\":\"ACTION"
	    "_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept chr inbound;",
	    "{\"rules\":[{\"type\":\"MATCH_CHARACTERISTICS\",\"not\":false,"
	    "\"or\":false,\"mask\":\"8000000000000000\"},{\"type\":\"ACTION"
	    "_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept chr inbound,broadcast;",
	    "{\"rules\":[{\"type\":\"MATCH_CHARACTERISTICS\",\"not\":false,"
	    "\"or\":false,\"mask\":\"6000000000000000\"},{\"type\":\"ACTION"
	    "_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept chr 31,0;",
	    "{\"rules\":[{\"type\":\"MATCH_CHARACTERISTICS\",\"not\":false,"
	    "\"or\":false,\"mask\":\"000000007fffffff\"},{\"type\":\"ACTION"
	    "_ACCEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "drop framesize 0-63;",
	    "{\"rules\":[{\"type\":\"MATCH_FRAME_SIZE_RANGE\",\"not\":false"
	    ",\"or\":false,\"start\":0,\"end\":63},{\"type\":\"ACTION_DROP"
	    "\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "drop random 0.5 random 1 random 0 random 7 random -3 random ab"
	    "c random .25e1;",
	    "{\"rules\":[{\"type\":\"MATCH_RANDOM\",\"not\":false,\"or\":fa"
	    "lse,\"probability\":2147483647},{\"type\":\"MATCH_RANDOM\",\"n"
	    "ot\":false,\"or\":false,\"probability\":4294967295},{\"type\":"
	    "\"MATCH_RANDOM\",\"not\":false,\"or\":false,\"probability\":0}"
	    ",{\"type\":\"MATCH_RANDOM\",\"not\":false,\"or\":false,\"proba"
	    "bility\":4294967295},{\"type\":\"MATCH_RANDOM\",\"not\":false,"
	    "\"or\":false,\"probability\":0},{\"type\":\"MATCH_RANDOM\",\"n"
	    "ot\":false,\"or\":false,\"probability\":0},{\"type\":\"MATCH_R"
	    "ANDOM\",\"not\":false,\"or\":false,\"probability\":4294967295}"
	    ",{\"type\":\"ACTION_DROP\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "tag t id 7 enum 1 one flag 3 three;\n"
	    "accept tand t three tor t 0x10 txor t one tdiff t 5 teq t one "
	    "tseq t 2 treq 9 10;",
	    "{\"rules\":[{\"type\":\"MATCH_TAGS_BITWISE_AND\",\"not\":false"
	    ",\"or\":false,\"id\":7,\"value\":8},{\"type\":\"MATCH_TAGS_BIT"
	    "WISE_OR\",\"not\":false,\"or\":false,\"id\":7,\"value\":16},{"
	    "\"type\":\"MATCH_TAGS_BITWISE_XOR\",\"not\":false,\"or\":false"
	    ",\"id\":7,\"value\":1},{\"type\":\"MATCH_TAGS_DIFFERENCE\",\"n"
	    "ot\":false,\"or\":false,\"id\":7,\"value\":5},{\"type\":\"MATC"
	    "H_TAGS_EQUAL\",\"not\":false,\"or\":false,\"id\":7,\"value\":1"
	    "},{\"type\":\"MATCH_TAG_SENDER\",\"not\":false,\"or\":false,\""
	    "id\":7,\"value\":2},{\"type\":\"MATCH_TAG_RECEIVER\",\"not\":f"
	    "alse,\"or\":false,\"id\":9,\"value\":10},{\"type\":\"ACTION_AC"
	    "CEPT\"}],\"capabilities\":[],\"tags\":[{\"id\":7,\"default\":n"
	    "ull}]}" },
	{
	    "tee -1 fc079a1100;\n"
	    "watch 65535 FC079A1100 not ipprotocol udp;\n"
	    "redirect 010d8dd637 vlan 2;\n"
	    "break;",
	    "{\"rules\":[{\"type\":\"ACTION_TEE\",\"address\":\"fc079a1100"
	    "\",\"length\":-1},{\"type\":\"MATCH_IP_PROTOCOL\",\"not\":true"
	    ",\"or\":false,\"ipProtocol\":17},{\"type\":\"ACTION_WATCH\",\""
	    "address\":\"FC079A1100\",\"length\":65535},{\"type\":\"MATCH_V"
	    "LAN_ID\",\"not\":false,\"or\":false,\"vlanId\":2},{\"type\":\""
	    "ACTION_REDIRECT\",\"address\":\"010d8dd637\"},{\"type\":\"ACTI"
	    "ON_BREAK\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "watch 0x10 89e92ceee5 ethertype arp;\n"
	    "break ethertype arp\n"
	    ";\n"
	    "break;",
	    "{\"rules\":[{\"type\":\"MATCH_ETHERTYPE\",\"not\":false,\"or\""
	    ":false,\"etherType\":2054},{\"type\":\"ACTION_WATCH\",\"addres"
	    "s\":\"89e92ceee5\",\"length\":16},{\"type\":\"MATCH_ETHERTYPE"
	    "\",\"not\":false,\"or\":false,\"etherType\":2054},{\"type\":\""
	    "ACTION_BREAK\"},{\"type\":\"ACTION_BREAK\"}],\"capabilities\":"
	    "[],\"tags\":[]}" },
	{
	    "# comment only\n",
	    "{\"rules\":[],\"capabilities\":[],\"tags\":[]}" },
	{
	    "",
	    "{\"rules\":[],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept;",
	    "{\"rules\":[{\"type\":\"ACTION_ACCEPT\"}],\"capabilities\":[],"
	    "\"tags\":[]}" },
	{
	    "drop not ethertype ipv4 not not ethertype arp or or ethertype "
	    "ipv6 and and vlan 1 not;",
	    "{\"rules\":[{\"type\":\"MATCH_ETHERTYPE\",\"not\":true,\"or\":"
	    "false,\"etherType\":2048},{\"type\":\"MATCH_ETHERTYPE\",\"not"
	    "\":true,\"or\":false,\"etherType\":2054},{\"type\":\"MATCH_ETH"
	    "ERTYPE\",\"not\":false,\"or\":true,\"etherType\":34525},{\"typ"
	    "e\":\"MATCH_VLAN_ID\",\"not\":false,\"or\":false,\"vlanId\":1}"
	    ",{\"type\":\"ACTION_DROP\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "cap web id 10 default\n"
	    "\taccept ipprotocol tcp dport 80;\n"
	    "\taccept ipprotocol tcp dport 443;\n"
	    ";\n"
	    "cap SSH id 0x14 accept dport 22; ;\n"
	    "accept;",
	    "{\"rules\":[{\"type\":\"ACTION_ACCEPT\"}],\"capabilities\":[{"
	    "\"id\":10,\"default\":true,\"rules\":[{\"type\":\"MATCH_IP_PRO"
	    "TOCOL\",\"not\":false,\"or\":false,\"ipProtocol\":6},{\"type\""
	    ":\"MATCH_IP_DEST_PORT_RANGE\",\"not\":false,\"or\":false,\"sta"
	    "rt\":80,\"end\":80},{\"type\":\"ACTION_ACCEPT\"},{\"type\":\"M"
	    "ATCH_IP_PROTOCOL\",\"not\":false,\"or\":false,\"ipProtocol\":6"
	    "},{\"type\":\"MATCH_IP_DEST_PORT_RANGE\",\"not\":false,\"or\":"
	    "false,\"start\":443,\"end\":443},{\"type\":\"ACTION_ACCEPT\"}]"
	    "},{\"id\":20,\"default\":false,\"rules\":[{\"type\":\"MATCH_IP"
	    "_DEST_PORT_RANGE\",\"not\":false,\"or\":false,\"start\":22,\"e"
	    "nd\":22},{\"type\":\"ACTION_ACCEPT\"}]}],\"tags\":[]}" },
	{
	    "tag dept id 1000 default eng enum 100 Sales enum 200 eng;\n"
	    "tag role id 1001 flag 0 admin flag 1 ops flag admin,ops,4 both"
	    " default both;\n"
	    "tag plain id 5;\n"
	    "tag zero id 6 default 0;\n"
	    "tag neg id 7 default -12;\n"
	    "tag big id 8 default 3000000000;\n"
	    "tag hexd id 9 default 0x10;\n"
	    "accept teq dept sales and tand role both;",
	    "{\"rules\":[{\"type\":\"MATCH_TAGS_EQUAL\",\"not\":false,\"or"
	    "\":false,\"id\":1000,\"value\":100},{\"type\":\"MATCH_TAGS_BIT"
	    "WISE_AND\",\"not\":false,\"or\":false,\"id\":1001,\"value\":19"
	    "},{\"type\":\"ACTION_ACCEPT\"}],\"capabilities\":[],\"tags\":["
	    "{\"id\":1000,\"default\":200},{\"id\":1001,\"default\":19},{\""
	    "id\":5,\"default\":null},{\"id\":6,\"default\":null},{\"id\":7"
	    ",\"default\":12},{\"id\":8,\"default\":-1294967296},{\"id\":9,"
	    "\"default\":16}]}" },
	{
	    "tag t id 1 flag 31 top default top;\n"
	    "accept;",
	    "{\"rules\":[{\"type\":\"ACTION_ACCEPT\"}],\"capabilities\":[],"
	    "\"tags\":[{\"id\":1,\"default\":-2147483648}]}" },
	{
	    "macro pass($port,$proto)\n"
	    "\taccept ipprotocol $proto and dport $port;\n"
	    ";\n"
	    "include pass(22,tcp)\n"
	    "include pass(53,udp)\n"
	    "drop;",
	    "{\"rules\":[{\"type\":\"MATCH_IP_PROTOCOL\",\"not\":false,\"or"
	    "\":false,\"ipProtocol\":6},{\"type\":\"MATCH_IP_DEST_PORT_RANG"
	    "E\",\"not\":false,\"or\":false,\"start\":22,\"end\":22},{\"typ"
	    "e\":\"ACTION_ACCEPT\"},{\"type\":\"MATCH_IP_PROTOCOL\",\"not\""
	    ":false,\"or\":false,\"ipProtocol\":17},{\"type\":\"MATCH_IP_DE"
	    "ST_PORT_RANGE\",\"not\":false,\"or\":false,\"start\":53,\"end"
	    "\":53},{\"type\":\"ACTION_ACCEPT\"},{\"type\":\"ACTION_DROP\"}"
	    "],\"capabilities\":[],\"tags\":[]}" },
	{
	    "macro Base drop not ethertype ipv4; ;\n"
	    "cap c id 1 include base accept; ;\n"
	    "include base\n"
	    "accept;",
	    "{\"rules\":[{\"type\":\"MATCH_ETHERTYPE\",\"not\":true,\"or\":"
	    "false,\"etherType\":2048},{\"type\":\"ACTION_DROP\"},{\"type\""
	    ":\"ACTION_ACCEPT\"}],\"capabilities\":[{\"id\":1,\"default\":f"
	    "alse,\"rules\":[{\"type\":\"MATCH_ETHERTYPE\",\"not\":true,\"o"
	    "r\":false,\"etherType\":2048},{\"type\":\"ACTION_DROP\"},{\"ty"
	    "pe\":\"ACTION_ACCEPT\"}]}],\"tags\":[]}" },
	{
	    "macro m(,$z) drop dport $z; ;\n"
	    "include m(5,6)\n"
	    "accept;",
	    "{\"rules\":[{\"type\":\"MATCH_IP_DEST_PORT_RANGE\",\"not\":fal"
	    "se,\"or\":false,\"start\":6,\"end\":6},{\"type\":\"ACTION_DROP"
	    "\"},{\"type\":\"ACTION_ACCEPT\"}],\"capabilities\":[],\"tags\""
	    ":[]}" },
	{
	    "macro m($a,$a) drop dport $a; ;\n"
	    "include m(5,6)\n"
	    "accept;",
	    "{\"rules\":[{\"type\":\"MATCH_IP_DEST_PORT_RANGE\",\"not\":fal"
	    "se,\"or\":false,\"start\":6,\"end\":6},{\"type\":\"ACTION_DROP"
	    "\"},{\"type\":\"ACTION_ACCEPT\"}],\"capabilities\":[],\"tags\""
	    ":[]}" },
	{
	    "accept\r\n"
	    "\tethertype arp # comment\r\n"
	    ";\r\n",
	    "{\"rules\":[{\"type\":\"MATCH_ETHERTYPE\",\"not\":false,\"or\""
	    ":false,\"etherType\":2054},{\"type\":\"ACTION_ACCEPT\"}],\"cap"
	    "abilities\":[],\"tags\":[]}" },
	{
	    "accept ipsrc 10.0.0.1/abc;",
	    "{\"rules\":[{\"type\":\"MATCH_IPV4_SOURCE\",\"not\":false,\"or"
	    "\":false,\"ip\":\"10.0.0.1/abc\"},{\"type\":\"ACTION_ACCEPT\"}"
	    "],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept dport 22abc;",
	    "{\"rules\":[{\"type\":\"MATCH_IP_DEST_PORT_RANGE\",\"not\":fal"
	    "se,\"or\":false,\"start\":22,\"end\":22},{\"type\":\"ACTION_AC"
	    "CEPT\"}],\"capabilities\":[],\"tags\":[]}" },
	{
	    "accept ethertype 0x;",
	    "{\"rules\":[{\"type\":\"MATCH_ETHERTYPE\",\"not\":false,\"or\""
	    ":false,\"etherType\":0},{\"type\":\"ACTION_ACCEPT\"}],\"capabi"
	    "lities\":[],\"tags\":[]}" },
};

static const struct rulec_err_case err_cases[] = {
	{
	    "accept ipprotocol icmp;",
	    1, 8 },
	{
	    "tee -1 fc079a1100;\n"
	    "break;\n"
	    "accept;",
	    3, 1 },
	{
	    "drop\n"
	    "  not ethertype ipv4\n"
	    "  and bogus 5\n"
	    ";",
	    3, 7 },
	{
	    "accept dport;",
	    1, 8 },
	{
	    "accept\n"
	    "  dport\n"
	    ";",
	    2, 3 },
	{
	    "accept dport 70000;",
	    1, 14 },
	{
	    "accept dport 5-3;",
	    1, 14 },
	{
	    "accept dport 1-2-3;",
	    1, 14 },
	{
	    "accept sport -1;",
	    1, 14 },
	{
	    "accept iptos 256 1;",
	    1, 14 },
	{
	    "accept iptos 0xff 300;",
	    1, 19 },
	{
	    "accept icmp 256 0;",
	    1, 13 },
	{
	    "accept icmp 8 256;",
	    1, 15 },
	{
	    "accept ztsrc 12345;",
	    1, 14 },
	{
	    "accept ztdest 0x89e92ceee5;",
	    1, 15 },
	{
	    "accept macsrc 02:aa:bb;",
	    1, 15 },
	{
	    "accept ipsrc 10.0.0.1;",
	    1, 14 },
	{
	    "accept ipsrc /8;",
	    1, 14 },
	{
	    "accept ipdest bogus/8;",
	    1, 15 },
	{
	    "accept chr tcp_bogus;",
	    1, 12 },
	{
	    "accept chr 64;",
	    1, 12 },
	{
	    "accept ethertype IPv4;",
	    1, 18 },
	{
	    "accept vlan -2;",
	    1, 13 },
	{
	    "accept vlan 4294967296;",
	    1, 13 },
	{
	    "accept tdiff nosuchtag 0;",
	    1, 14 },
	{
	    "tag t id 1;\n"
	    "accept teq t nosuchvalue;",
	    2, 14 },
	{
	    "accept tseq 1 -5;",
	    1, 15 },
	{
	    "accept ztsrc $a;",
	    1, 14 },
	{
	    "tee 70000 fc079a1100;",
	    1, 5 },
	{
	    "tee 0 fc079a11;",
	    1, 7 },
	{
	    "tee 0;",
	    1, 1 },
	{
	    "redirect 010d8dd63;",
	    1, 10 },
	{
	    "priority 5;",
	    1, 1 },
	{
	    "frobnicate;",
	    1, 1 },
	{
	    "include;",
	    1, 1 },
	{
	    "include nosuch",
	    1, 9 },
	{
	    "macro m($a) drop dport $a; ;\n"
	    "include m()",
	    2, 9 },
	{
	    "macro m drop; ;\n"
	    "macro M accept; ;",
	    2, 7 },
	{
	    "macro 9m drop; ;",
	    1, 7 },
	{
	    "macro drop drop; ;",
	    1, 7 },
	{
	    "macro;",
	    1, 1 },
	{
	    "tag;",
	    1, 1 },
	{
	    "cap;",
	    1, 1 },
	{
	    "tag t enum 1 a;",
	    1, 5 },
	{
	    "tag t id 1 id 2;",
	    1, 12 },
	{
	    "tag t id x;",
	    1, 10 },
	{
	    "tag t id 1 default 1 default 2;",
	    1, 22 },
	{
	    "tag t id 1 enum 1 a enum 2 A;",
	    1, 28 },
	{
	    "tag t id 1 enum -1 a;",
	    1, 17 },
	{
	    "tag t id 1 enum 1 9a;",
	    1, 19 },
	{
	    "tag t id 1 flag 32 f;",
	    1, 17 },
	{
	    "tag t id 1 flag 0 f flag 1 F;",
	    1, 28 },
	{
	    "tag t id 1 flag nosuch f;",
	    1, 17 },
	{
	    "tag t id 1 bogus;",
	    1, 12 },
	{
	    "tag t id 1;\n"
	    "tag T id 2;",
	    2, 5 },
	{
	    "tag not id 1;",
	    1, 5 },
	{
	    "tag t id 1 enum 1;",
	    1, 12 },
	{
	    "tag t id 1 flag 1;",
	    1, 12 },
	{
	    "tag t id 1 default;",
	    1, 12 },
	{
	    "tag t id;",
	    1, 7 },
	{
	    "cap c accept; ;",
	    1, 5 },
	{
	    "cap c id 1 id 2 accept; ;",
	    1, 12 },
	{
	    "cap c id -1 accept; ;",
	    1, 7 },
	{
	    "cap c id 1 accept; ;\n"
	    "cap d id 1 accept; ;",
	    2, 7 },
	{
	    "cap c id 1 accept; ;\n"
	    "cap C id 2 accept; ;",
	    2, 5 },
	{
	    "cap tag id 1 accept; ;",
	    1, 5 },
	{
	    "cap c id 1 frob; ;",
	    1, 12 },
	{
	    "cap c id;",
	    1, 7 },
	{
	    "drop ipprotocol tcp\n"
	    "accept ;",
	    2, 1 },
	{
	    "macro loop include loop ; ;\n"
	    "include loop",
	    1, 20 },
	{
	    "tee 0 fc079a1100 tee 1 fc079a1100;\n"
	    "redirect 010d8dd637;",
	    1, 18 },
	{
	    "DROP\n"
	    "\tnot ethertype ipv4\n"
	    ";\n"
	    "Accept ;",
	    2, 2 },
	{
	    "drop#notacomment ethertype arp;",
	    1, 1 },
};

static json_t *
compile_str(const char *src, struct rulec_error *err)
{
	json_t *out = NULL;

	if (rulec_compile(src, strlen(src), &out, err) == -1)
		return NULL;
	return out;
}

static void
check_json(const char *what, json_t *got, json_t *want)
{
	char *g, *w;

	if (got != NULL && want != NULL && json_equal(got, want))
		return;
	g = got != NULL ? json_dumps(got, JSON_SORT_KEYS) : NULL;
	w = want != NULL ? json_dumps(want, JSON_SORT_KEYS) : NULL;
	CHECKF(0, "%s:\n got  %s\n want %s", what, g ? g : "(none)",
	    w ? w : "(none)");
	free(g);
	free(w);
}

/* rules -> binary, as the controller encodes them for the netconf */
static void
check_binary(const char *what, json_t *rules, const char *hex)
{
	static struct rule r[RULES_MAX_NETWORK];
	uint8_t buf[RULES_MAX_NETWORK * RULE_WIRE_MAX], *want;
	struct wbuf w;
	size_t n, dropped, wlen;

	CHECKF(rules_from_json(rules, r, RULES_MAX_NETWORK, &n,
	    &dropped) == 0 && dropped == 0, "%s: rules_from_json", what);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(rules_encode(r, n, &w) == 0);
	want = test_hex(hex, &wlen);
	CHECKF(wbuf_len(&w) == wlen, "%s: %zu binary bytes, want %zu", what,
	    wbuf_len(&w), wlen);
	if (wbuf_len(&w) == wlen)
		CHECK_MEM(buf, want, wlen, what);
	free(want);
}

static void
test_vectors(void)
{
	json_t *root, *sets, *set, *want, *got, *caps, *cap, *mine;
	struct rulec_error err;
	const char *name;
	size_t i, j;

	root = test_vectors_load("rules.json");
	REQUIRE(root != NULL);
	sets = json_object_get(root, "rule_sets");
	REQUIRE(json_is_array(sets) && json_array_size(sets) >= 6);
	json_array_foreach(sets, i, set) {
		name = test_jstr(set, "name");
		want = json_object_get(set, "compiled");
		got = compile_str(test_jstr(set, "dsl"), &err);
		CHECKF(got != NULL, "%s: line %u: %s", name, err.line,
		    err.msg);
		check_json(name, got, want);
		if (got == NULL)
			continue;
		CHECK(json_array_size(json_object_get(got, "rules")) ==
		    (size_t)test_jint(set, "rule_count"));
		check_binary(name, json_object_get(got, "rules"),
		    test_jstr(set, "rules_binary"));
		caps = json_object_get(set, "capabilities_binary");
		mine = json_object_get(got, "capabilities");
		CHECK(json_array_size(caps) == json_array_size(mine));
		json_array_foreach(caps, j, cap) {
			if (j >= json_array_size(mine))
				break;
			CHECK(test_jint(cap, "id") == json_integer_value(
			    json_object_get(json_array_get(mine, j), "id")));
			check_binary(name, json_object_get(json_array_get(mine,
			    j), "rules"), test_jstr(cap, "rules_binary"));
		}
		json_decref(got);
	}
	json_decref(root);
}

static void
test_hand_cases(void)
{
	struct rulec_error err;
	json_t *got, *want;
	size_t i;

	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		want = json_loads(ok_cases[i].want, JSON_REJECT_DUPLICATES,
		    NULL);
		REQUIRE(want != NULL);
		got = compile_str(ok_cases[i].src, &err);
		CHECKF(got != NULL, "case %zu: line %u: %s", i, err.line,
		    err.msg);
		check_json(ok_cases[i].src, got, want);
		json_decref(got);
		json_decref(want);
	}
}

static void
test_errors(void)
{
	struct rulec_error err;
	json_t *got;
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		got = compile_str(err_cases[i].src, &err);
		CHECKF(got == NULL, "case %zu compiled: %s", i,
		    err_cases[i].src);
		json_decref(got);
		CHECKF(err.line == err_cases[i].line &&
		    err.column == err_cases[i].column,
		    "case %zu: at %u:%u, want %u:%u (%s)", i, err.line,
		    err.column, err_cases[i].line, err_cases[i].column,
		    err.msg);
		CHECKF(err.msg[0] != '\0', "case %zu: no message", i);
	}
}

/* a string of n copies of s */
static char *
repeat(const char *s, size_t n)
{
	size_t len = strlen(s), i;
	char *out;

	REQUIRE((out = malloc(len * n + 1)) != NULL);
	for (i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	out[len * n] = '\0';
	return out;
}

static void
test_limits(void)
{
	struct rulec_error err;
	json_t *got;
	char *src, buf[4096];
	size_t n;
	int i;

	/* longer than the cap: refused before any parsing */
	src = repeat("accept; ", RULEC_SRC_MAX / 8 + 1);
	CHECK(rulec_compile(src, strlen(src), &got, &err) == -1);
	CHECK(err.line == 0 && got == NULL);
	free(src);

	/* 40000 nested blocks: no recursion over the nesting */
	src = repeat("drop ", 40000);
	src[strlen(src) - 1] = '\0';
	CHECK(compile_str(src, &err) == NULL && err.line == 1 &&
	    err.column == 6);
	free(src);
	/* ... and with a trailing opener the inner blocks never close */
	src = repeat("drop ", 40000);
	CHECK(compile_str(src, &err) == NULL && err.line == 1 &&
	    err.column == 5 * 39999 + 1);
	free(src);

	/* not UTF-8: refused where it starts */
	CHECK(compile_str("accept;\n  \xff;", &err) == NULL &&
	    err.line == 2 && err.column == 3);
	CHECK(compile_str("accept ipsrc 10.0.0.1/\xc3\x28;", &err) == NULL &&
	    err.line == 1 && err.column == 23);

	/* a NUL byte is part of a token, as any other byte */
	CHECK(rulec_compile("accept ztsrc 89e92ceee5\0;", 25, &got,
	    &err) == 0);
	CHECK(json_is_object(got));
	json_decref(got);

	/* 2^30 expansions of an empty macro: stopped by the work budget */
	n = (size_t)snprintf(buf, sizeof(buf), "macro m0;\n");
	for (i = 1; i <= 30; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "macro m%d include m%d include m%d;\n", i, i - 1, i - 1);
	snprintf(buf + n, sizeof(buf) - n, "include m30\n");
	CHECK(compile_str(buf, &err) == NULL && err.line == 0 &&
	    strstr(err.msg, "too large") != NULL);

	/* a macro including itself stops at the depth limit */
	CHECK(compile_str("macro m include m;\ninclude m", &err) == NULL &&
	    err.line == 1 && strstr(err.msg, "deep") != NULL);

	/* 2^15 rules from doubling macros: over the per-list cap */
	n = (size_t)snprintf(buf, sizeof(buf), "macro m0 accept;\n");
	for (i = 1; i <= 15; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "macro m%d include m%d include m%d;\n", i, i - 1, i - 1);
	snprintf(buf + n, sizeof(buf) - n, "include m15\n");
	CHECK(compile_str(buf, &err) == NULL && err.line == 0 &&
	    strstr(err.msg, "rules") != NULL);

	/* 2^13 rules are fine */
	n = (size_t)snprintf(buf, sizeof(buf), "macro m0 accept;\n");
	for (i = 1; i <= 13; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "macro m%d include m%d include m%d;\n", i, i - 1, i - 1);
	snprintf(buf + n, sizeof(buf) - n, "include m13\n");
	got = compile_str(buf, &err);
	CHECK(got != NULL && json_array_size(json_object_get(got,
	    "rules")) == 8192);
	json_decref(got);
}

int
main(void)
{
	test_vectors();
	test_hand_cases();
	test_errors();
	test_limits();
	return test_main_end();
}
