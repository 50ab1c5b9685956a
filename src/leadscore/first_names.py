"""Common first names, to recognise columns of people's names by their content.

About 300 of the most common German and English first names (lower case; some in two
spellings: Jürgen and Juergen, Sophia and Sofia), as in the name statistics of the Gesellschaft
für deutsche Sprache, the US Social Security Administration and the UK Office for National
Statistics: given names of today's adults and children. Added: about 40 each of the most common
Turkish, Polish, Italian, Spanish, French and Indian first names (and a few Russian ones), the
names most frequent among employees and contacts of companies in Germany, Austria, Switzerland,
the UK and the US after German and English ones; written with and without their accents
(Ayşe and Ayse, José and Jose). Names that are also ordinary words in
CRM values were left out so that a column of months, countries or campaign words is never taken
for names: April, May, June, August, Will, Mark, Art, Bill, Hope, Grace, Joy, Rose, Summer,
Jordan, Victoria, Georgia, Chad, Paris, Florence, and from the other languages Can, Rosa, Alba,
Paz, Dolores, Mar, Angel, Santiago, Dante, Nazar.

:mod:`leadscore.privacy` calls a column people's names when most of its values are one to three
capitalised words and the first word (after a title such as "Dr." or "Frau") of enough of them is
one of these names.
"""

from __future__ import annotations

_NAMES = """
alexander andreas michael thomas peter stefan stephan christian klaus wolfgang jürgen juergen
frank uwe martin markus marcus matthias hans bernd ralf ralph dieter werner manfred helmut
gerhard günter guenter jörg joerg sven jan jens tobias florian sebastian daniel tim lukas lucas
leon finn jonas paul felix max maximilian elias noah luca ben louis luis henry emil anton theo
moritz philipp niklas nico david simon fabian julian dominik patrick kevin dennis marcel mario
oliver holger heiko dirk kai karl carl heinz horst rolf rainer joachim jochen volker torsten
thorsten olaf norbert detlef hartmut lars timo benjamin johannes jakob jacob konstantin vincent
erik eric oskar oscar friedrich fritz georg heinrich hermann ludwig otto walter wilhelm kurt
rudolf ernst bruno
maria anna sabine susanne petra monika andrea claudia stefanie nicole katrin kathrin karin
birgit heike gabriele ursula renate christina christine julia laura lena lea leonie hannah hanna
emma mia sophie sofia sophia marie lina ella clara klara emilia lisa sarah sara katharina johanna
jana nina melanie sandra tanja silke anja anke kerstin manuela martina daniela simone stephanie
jessica jennifer vanessa franziska carina sabrina jasmin yasmin michelle annika frieda ida mila
greta charlotte amelie luisa louisa helena elena marlene nele pia paula anne ute elke ingrid
helga gisela brigitte erika inge irmgard eva barbara beate bettina doris iris ulrike angelika
cornelia dagmar silvia sylvia yvonne carolin caroline miriam svenja vera tina anita nadine
james john robert william richard joseph charles christopher matthew anthony donald steven
andrew joshua kenneth brian george timothy ronald edward jason jeffrey ryan gary nicholas
jonathan stephen larry justin scott brandon samuel gregory raymond jack jerry tyler aaron adam
douglas nathan zachary kyle harold jeremy ethan keith roger gerald terry sean arthur austin
lawrence jesse joe bryan billy bruce albert willie gabriel logan alan juan wayne roy randy
eugene russell elijah bobby philip johnny liam harry charlie leo freddie alfie archie
mary patricia linda elizabeth susan karen nancy betty margaret ashley kimberly emily donna carol
amanda dorothy melissa deborah rebecca sharon cynthia kathleen amy angela shirley brenda pamela
helen samantha katherine debra rachel carolyn janet catherine heather diane ruth julie olivia
joyce virginia kelly lauren joan evelyn judith megan cheryl jacqueline martha gloria teresa ann
madison frances kathryn janice jean abigail alice judy denise amber marilyn danielle beverly
isabella theresa diana natalie brittany kayla alexis lori amelia isla ava lily chloe poppy evie
mehmet mustafa ahmet ahmed ali hüseyin huseyin hasan ibrahim murat ömer omer yusuf osman emre
burak serkan cem kemal okan volkan tolga onur kaan mert fatih cengiz erkan ercan hakan
fatma ayşe ayse emine hatice zeynep elif merve özlem ozlem selin esra büşra busra derya gül
piotr krzysztof tomasz paweł pawel marcin michał michal łukasz lukasz grzegorz jakub mateusz
wojciech agnieszka małgorzata malgorzata katarzyna joanna magdalena aleksandra ewa dorota
justyna beata kasia
giuseppe giovanni francesco antonio marco alessandro luigi matteo lorenzo davide stefano
roberto giorgio paolo giulia francesca chiara alessandra federica valentina elisa
josé jose carlos javier miguel pablo alejandro diego sergio jorge manuel francisco pedro raúl
raul fernando carmen lucía lucia isabel pilar marta cristina ana
pierre philippe michel nicolas françois francois julien olivier sébastien sebastien
antoine mathieu guillaume thierry christophe frédéric frederic céline celine nathalie
isabelle sandrine camille chloé aurélie aurelie émilie emilie marion manon léa valérie
valerie véronique veronique
priya rahul amit raj rajesh sanjay vijay arun anil sunil suresh ramesh ravi deepak vikram
ankit rohit arjun aditya nikhil manoj ashok krishna neha pooja anjali divya kavita sunita
ananya lakshmi sneha shreya
olga irina natalia tatiana svetlana dmitri sergei ivan alexei andrei
"""

#: The names, lower case.
FIRST_NAMES: frozenset[str] = frozenset(_NAMES.split())
